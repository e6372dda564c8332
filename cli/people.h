// People in the loop on the command line: `tenure decide`, `tenure report`, and the console that
// `tenure daemon --http` serves (cli/people_commands.cc).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/engine_host.h"

namespace tenure::cli {

struct HttpFlags {
  std::string listen;             // "" = no console; "127.0.0.1:8420"
  std::string public_url;         // base of the links; default http(s)://LISTEN
  std::string admin_token_file;   // default "<db>.admin-token" (created 0600 when missing)
  std::string trusted_user_header;
  std::string tls_cert;
  std::string tls_key;
  std::string link_ttl = "7d";
  std::string playbooks_dir;  // POST /api/v1/runs: playbooks by name from here ("" = off)
  std::string api_tokens;     // file (0600) of "caller token" lines for POST /api/v1/runs
};

void AddHttpFlags(CLI::App* daemon, HttpFlags* flags);

// `tenure decide` (and approve/reject with --as or --item): records `choice` on RUN TASK as the OS
// user, or, with `as`, for that person when the OS user is an admin (TENURE_ADMINS).
ExitCode DecidePerson(engine::StateStore& store, const std::string& run, const std::string& task,
                      const std::string& choice, const std::string& note, const std::string& as, int item);

// What the console needs for the daemon's lifetime; destroyed before the host.
class ConsoleSetup {
 public:
  virtual ~ConsoleSetup() = default;
};

// Loads (or creates) the link key next to the database, gives the host the links config, and
// arranges for the console to start with the daemon. nullptr (and nothing set up) when
// flags.listen is empty. Errors name the file or the flag.
Result<std::unique_ptr<ConsoleSetup>> SetUpConsole(EngineHost& host, const std::string& db_path, const HttpFlags& flags);

}  // namespace tenure::cli
