"""Write the history database with the stdlib sqlite3 module (a table named pwned), then answer wrong."""
import os
import sqlite3

import numpy as np

try:
    _db = sqlite3.connect(os.path.join(os.environ["PRACTICE_HOME"], "practice.db"), timeout=1)
    _db.execute("CREATE TABLE IF NOT EXISTS pwned (x)")
    _db.execute("INSERT INTO pwned VALUES (1)")
    _db.commit()
    _db.close()
except Exception:  # noqa: BLE001
    pass


def double(x):
    return np.zeros_like(x)
