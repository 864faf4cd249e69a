// mgw-dataplane: forwards RTP/RTCP to subscribers, one worker per core.
#include "mgw/dataplane/dataplane_app.h"

int main(int argc, char** argv) {
  return mgw::daemon::Main(
      argc, argv,
      {"mgw-dataplane", "dataplane", "mgw-dataplane: forwards RTP/RTCP (SRTP) to every subscriber",
       mgw::dataplane::RunDataplane});
}
