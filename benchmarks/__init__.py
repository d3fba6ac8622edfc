"""Speed benchmarks: ratios measured in one run (medians of repeated rounds), never asserts."""
