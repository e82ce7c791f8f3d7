"""practice: timed NumPy exercises on transformer math and interpretability, graded by hidden tests."""

__version__ = "0.1.0"
