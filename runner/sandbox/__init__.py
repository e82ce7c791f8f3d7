"""The sandbox: learner code runs in its own limited process and talks to the grader in plain data."""
