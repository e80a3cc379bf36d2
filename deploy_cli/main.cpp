// constellation-deploy: a thin main over deploy_job.hpp and cluster_query.hpp.
#include "cluster_query.hpp"
#include "deploy_job.hpp"
#include "deploy_options.hpp"
#include "run_problem.hpp"

#include "cluster/endpoint.hpp"

#include <cstdio>
#include <cstdlib>

extern char** environ;

using namespace constellation;

int main(int argc, char** argv) {
  auto options = deploy::parse_deploy_options(std::vector<std::string>(argv + 1, argv + argc),
                                              std::getenv("CONSTELLATION_FORMAT"));
  if (!options) {
    std::fprintf(stderr, "constellation-deploy: %s\n%s", options.error().c_str(),
                 deploy::deploy_usage);
    return 2;
  }
  if (options->help) {
    std::fputs(deploy::deploy_usage, stdout);
    return 0;
  }
  auto address = cluster::parse_endpoint(options->bridge);
  if (!address) {
    std::fprintf(stderr, "constellation-deploy: BRIDGE_ADDR: %s\n", address.error().c_str());
    return 2;
  }
  auto secret = cluster::resolve_secret(options->secret_file);
  if (!secret) {
    deploy::show_problem(options->format, secret.error());
    return 1;
  }
  switch (options->what) {
    case deploy::deploy_options::command::status:
      return deploy::run_status(*address, *secret, options->format);
    case deploy::deploy_options::command::jobs:
      return deploy::run_jobs(*address, *secret, options->format);
    case deploy::deploy_options::command::kill:
      return deploy::run_kill(*address, *secret, options->format, options->job);
    case deploy::deploy_options::command::deploy:
      break;
  }

  deploy::deploy_settings settings;
  settings.bridge = *address;
  settings.secret = std::move(*secret);
  settings.format = options->format;
  settings.binary = options->binary;
  settings.args = options->args;
  for (char** e = environ; e && *e; ++e) settings.env.emplace_back(*e);
  return deploy::run_deploy(settings);
}
