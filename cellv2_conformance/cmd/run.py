"""`run` and `validate`: the suite against a local or existing cloud."""


def add_parsers(sub, wd):
    return None
