#pragma once
// Spark-style distributed collections on spawn and channels. See dataflow/README.md.
//
//   constellation::init();
//   constellation::dataflow::context ctx;
//   auto counts = ctx.text_file(path)
//                     .flat_map<std::string>([](const std::string& line, auto& emit) { ... })
//                     .map([](const std::string& w) { return std::pair(w, 1ull); })
//                     .reduce_by_key([](std::uint64_t a, std::uint64_t b) { return a + b; })
//                     .collect();

#include <constellation/dataflow/context.hpp>
#include <constellation/dataflow/dataset.hpp>
#include <constellation/dataflow/options.hpp>
