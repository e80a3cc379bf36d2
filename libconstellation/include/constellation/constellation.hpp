#pragma once
// The whole public API of constellation.

#include <constellation/channel.hpp>
#include <constellation/code_ref.hpp>
#include <constellation/counters.hpp>
#include <constellation/errors.hpp>
#include <constellation/init.hpp>
#include <constellation/pid.hpp>
#include <constellation/progress.hpp>
#include <constellation/resources.hpp>
#include <constellation/spawn.hpp>
#include <constellation/supervision.hpp>
