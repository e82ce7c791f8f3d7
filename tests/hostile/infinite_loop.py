"""Loop forever in every call."""


def double(x):
    while True:
        pass
