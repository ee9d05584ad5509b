"""`python -m official_ext.demo`: the main job (`adaptation`)."""
import time

_START = time.time()  # The job's time includes its own start-up.

# pylint: disable=g-import-not-at-top,wrong-import-position
from absl import app

from official_ext.demo import adaptation

if __name__ == '__main__':
  adaptation.define_flags()
  app.run(lambda argv: adaptation.main(argv, start=_START))
