// mgw-controlplane: the HTTP/WebSocket API; owns every durable fact.
#include "mgw/controlplane/controlplane_app.h"

int main(int argc, char** argv) {
  return mgw::daemon::Main(
      argc, argv,
      {"mgw-controlplane", "controlplane",
       "mgw-controlplane: accounts, meetings, conferences and recordings over HTTP and WebSocket",
       mgw::controlplane::RunControlplane});
}
