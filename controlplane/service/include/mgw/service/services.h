#pragma once

#include "mgw/service/account_service.h"
#include "mgw/service/api_key_service.h"
#include "mgw/service/authenticator.h"
#include "mgw/service/conference_service.h"
#include "mgw/service/login_rate_limiter.h"
#include "mgw/service/meeting_service.h"
#include "mgw/service/read_caches.h"
#include "mgw/service/recording_service.h"
#include "mgw/service/room_service.h"
#include "mgw/service/schedule_service.h"
#include "mgw/service/signalling_service.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/alias_number_store.h"
#include "mgw/storage/api_key_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/conference_store.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/login_failure_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/participant_media_store.h"
#include "mgw/storage/recording_store.h"
#include "mgw/storage/room_store.h"
#include "mgw/storage/schedule_store.h"
#include "mgw/storage/token_store.h"

namespace mgw::service {

struct ServiceOptions {
  AccountOptions accounts;
  LoginRateLimits login_limits;
  storage::JobStoreOptions jobs;  // attempts, backoff, lease (controlplane.jobs.*)
  RecordingOptions recordings;
  ScheduleOptions schedules;
  RoomOptions rooms;  // conferences.pin_lockout.*
  // controlplane.cache.*: the read caches in front of authentication and GET /meeting/{id}.
  storage::ReadCacheOptions cache;
};

// Every store and service of the control plane over one Database and Clock, wired once at
// start-up (or in a test). Members are declared in dependency order. Not copyable or movable:
// the services hold references to the stores.
struct Services {
  Services(storage::Database& database, const storage::Clock& time, ServiceOptions options = {})
      : db(database),
        clock(time),
        account_store(db, clock),
        token_store(db, clock),
        api_key_store(db, clock),
        login_failures(db, clock),
        meeting_store(db, clock),
        node_store(db, clock),
        job_store(db, clock, options.jobs),
        media_store(clock),
        caches(db, clock, options.cache),
        limiter(login_failures, clock, options.login_limits),
        authenticator(account_store, &caches.credentials),
        accounts(account_store, token_store, limiter, options.accounts),
        api_keys(account_store, api_key_store),
        meetings(database, meeting_store, node_store, job_store, &caches),
        signalling(database, meeting_store, node_store, media_store),
        conference_store(clock),
        conferences(database, conference_store),
        recording_store(db, clock),
        recordings(database, clock, recording_store, meeting_store, node_store, account_store,
                   token_store, job_store, options.recordings),
        schedule_store(db, clock),
        alias_numbers(clock),
        schedules(database, clock, schedule_store, alias_numbers, job_store, conferences,
                  options.schedules),
        room_store(clock),
        rooms(database, clock, room_store, conference_store, conferences, meeting_store, node_store,
              media_store, options.rooms) {}
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  storage::Database& db;
  const storage::Clock& clock;
  storage::AccountStore account_store;
  storage::TokenStore token_store;
  storage::ApiKeyStore api_key_store;
  storage::LoginFailureStore login_failures;
  storage::MeetingStore meeting_store;
  storage::DataplaneNodeStore node_store;
  storage::JobStore job_store;
  storage::ParticipantMediaStore media_store;
  ReadCaches caches;
  LoginRateLimiter limiter;
  Authenticator authenticator;
  AccountService accounts;
  ApiKeyService api_keys;
  MeetingService meetings;
  SignallingService signalling;
  storage::ConferenceStore conference_store;
  ConferenceService conferences;
  storage::RecordingStore recording_store;
  RecordingService recordings;
  storage::ScheduleStore schedule_store;
  storage::AliasNumberStore alias_numbers;
  ScheduleService schedules;
  storage::RoomStore room_store;
  RoomService rooms;
};

}  // namespace mgw::service
