"""Benchmarks: one module per subject, each run by a subcommand of ``edge bench``
(:mod:`edge.cli.bench_cmd`, the one runner).

- :mod:`.device`: ``edge bench`` itself: per-stage latency of one face, 1:N search, frames per
  second on the bundled clip, memory.
- :mod:`.cloud`: ``edge bench cloud``: the loop asking a slow emulated cloud per track.
- :mod:`.loop`: ``edge bench loop``: the whole appliance loop on clips, in real time and flat out.
- :mod:`.mqtt`: ``edge bench mqtt``: decision-to-subscriber latency and outbox throughput.
- :mod:`.gallery`: ``edge bench gallery``: 1:N search, memory per face, store and enrollment rates,
  with their budgets.
- :mod:`.live_view`: ``edge bench live-view``: the loop's frame rate with and without a viewer.
- :mod:`.timing`: the timer they share.
"""
