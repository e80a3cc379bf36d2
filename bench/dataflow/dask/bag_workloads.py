#!/usr/bin/python3
"""The dataflow workloads in Dask bag (multiprocessing scheduler), over the same generated inputs
as the C++ baselines: the generators of ../common/*.hpp repeated here with the same hash. Run by
dataflow_baselines --dask; prints one line: the seconds taken, then the result to check.

    bag_workloads.py WORKLOAD --scale F --workers N [--input TEXT_FILE]

Sort has no counterpart: dask.bag has no sort.
"""
import argparse
import math
import time

import dask
import dask.bag as db

MASK = (1 << 64) - 1


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def stream(seed, i):
    return mix(mix(seed) ^ i)


def unit(bits):
    return (bits >> 11) * 2.0**-53


def fnv1a(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def scaled(full, minimum, scale):
    return int(max(full * scale, minimum))


def word_count(args, partitions):
    counts = (db.read_text(args.input, blocksize=32 << 20)
              .str.split().flatten().frequencies().compute())
    checksum = sum(mix(fnv1a(word) ^ mix(count)) for word, count in counts) & MASK
    return f"{len(counts)} {sum(c for _, c in counts)} {checksum}"


def join(args, partitions):
    rows = scaled(10e6, 1000, args.scale)
    keys = scaled(2e6, 200, args.scale)

    def row(seed):
        def make(i):
            bits = stream(seed, i)
            return (bits % keys, mix(bits))
        return make

    left = db.range(rows, npartitions=partitions).map(row(0x101E))
    right = db.range(rows, npartitions=1).map(row(0x1217))
    joined = left.join(right, on_self=lambda r: r[0], on_other=lambda r: r[0])
    return str(joined.count().compute())


def power_law_vertex(bits, vertices):
    x = math.exp(unit(bits) * math.log(vertices + 1.0)) - 1.0
    rank = min(int(x), vertices - 1)
    return (rank * 2654435761 + 12345) % vertices


def page_rank(args, partitions):
    vertices = scaled(1e6, 100, args.scale)
    edges = scaled(10e6, 1000, args.scale)

    def edge(i):
        return (power_law_vertex(stream(0x9A1, i), vertices),
                power_law_vertex(stream(0x9A2, i), vertices))

    links = (db.range(edges, npartitions=partitions).map(edge)
             .foldby(lambda e: e[0], lambda acc, e: acc + [e[1]], [],
                     lambda a, b: a + b, [])
             .repartition(partitions).persist())
    ranks = {source: 1.0 for source, _ in links.compute()}
    for _ in range(10):
        def contributions(link, ranks=ranks):
            source, targets = link
            rank = ranks.get(source)
            if rank is None:
                return []
            return [(t, rank / len(targets)) for t in targets]
        sums = (links.map(contributions).flatten()
                .foldby(lambda c: c[0], lambda acc, c: acc + c[1], 0.0,
                        lambda a, b: a + b, 0.0).compute())
        ranks = {v: 0.15 + 0.85 * s for v, s in sums}
    return f"{len(ranks)} {sum(ranks.values())!r}"


def k_means_point(i):
    cluster = stream(0x3D, i) % 10
    p = []
    for d in range(3):
        center = 200.0 * unit(stream(0x3D + 1, cluster * 3 + d)) - 100.0
        bell = 0.0
        for k in range(3):
            bell += unit(stream(0x3D + 2, i * 9 + d * 3 + k)) - 0.5
        p.append(center + 8.0 * bell)
    return p


def nearest(p, centers):
    best, best_distance = 0, math.inf
    for k, c in enumerate(centers):
        distance = 0.0
        for d in range(3):
            distance += (p[d] - c[d]) * (p[d] - c[d])
        if distance < best_distance:
            best, best_distance = k, distance
    return best


def k_means(args, partitions):
    n = scaled(4e6, 1000, args.scale)
    points = db.range(n, npartitions=partitions).map(k_means_point).persist()
    centers = [k_means_point(k) for k in range(10)]

    def add(a, b):
        return [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]

    for _ in range(10):
        sums = dict(points.map(lambda p, c=centers: (nearest(p, c), [p[0], p[1], p[2], 1.0]))
                    .foldby(lambda kv: kv[0], lambda acc, kv: add(acc, kv[1]), [0.0] * 4,
                            add, [0.0] * 4).compute())
        centers = [[s / sums[k][3] for s in sums[k][:3]] if k in sums and sums[k][3] > 0
                   else centers[k] for k in range(10)]
    return " ".join(repr(x) for c in centers for x in c)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["word_count", "join", "page_rank", "k_means"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--input")
    args = parser.parse_args()
    dask.config.set(scheduler="processes", num_workers=args.workers)
    start = time.monotonic()
    result = globals()[args.workload](args, 4 * args.workers)
    print(f"{time.monotonic() - start:.3f} {result}")


if __name__ == "__main__":
    main()
