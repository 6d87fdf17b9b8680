"""OpenFisca encodings used as side-by-side anchors by benchmarks/table_bench.py (optional: needs
the `bench` extra, `pip install -e '.[bench]'`)."""
