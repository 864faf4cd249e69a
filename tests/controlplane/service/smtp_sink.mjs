// A real SMTP server for the email tests (nodemailer's smtp-server from package.json), on
// 127.0.0.1 and a free port. Prints "LISTENING <port>", then for each accepted message one line
// "MESSAGE <json>" with the envelope, the authenticated user and the raw message.
//
// Options:
//   --auth USER:PASS       require AUTH (PLAIN/LOGIN over the plain connection) with these
//   --reject-rcpt CODE     refuse every recipient with this SMTP reply code (e.g. 550, 451)
//   --tls CERT KEY         offer STARTTLS with this PEM certificate and key
import { readFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const auth = option('--auth');
const rejectCode = option('--reject-rcpt');
const tlsAt = args.indexOf('--tls');
const tls = tlsAt >= 0 ? { cert: readFileSync(args[tlsAt + 1]), key: readFileSync(args[tlsAt + 2]) } : {};
const disabled = [];
if (tlsAt < 0) disabled.push('STARTTLS');
if (!auth) disabled.push('AUTH');

const server = new SMTPServer({
  secure: false,
  ...tls,
  disabledCommands: disabled,
  authOptional: !auth,
  allowInsecureAuth: true,
  logger: false,
  onAuth(credentials, session, callback) {
    if (`${credentials.username}:${credentials.password}` === auth) {
      return callback(null, { user: credentials.username });
    }
    const error = new Error('Invalid username or password');
    error.responseCode = 535;
    return callback(error);
  },
  onRcptTo(address, session, callback) {
    if (rejectCode) {
      const error = new Error(`recipient refused by test (${rejectCode})`);
      error.responseCode = Number(rejectCode);
      return callback(error);
    }
    return callback();
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      const message = {
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        user: session.user || null,
        secure: Boolean(session.secure),
        data: Buffer.concat(chunks).toString('utf8'),
      };
      process.stdout.write(`MESSAGE ${JSON.stringify(message)}\n`);
      callback(null, 'queued');
    });
  },
});

server.on('error', (error) => process.stderr.write(`smtp sink: ${error.message}\n`));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
