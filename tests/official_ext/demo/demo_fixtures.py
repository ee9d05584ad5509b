"""Fine-tuning folders as `official_ext.finetune` leaves them, for the demo
tests."""

import csv
import json
import os


def write_runs(folder, runs):
  """results.csv as `official_ext.finetune` writes it (plus a failed run)
  and each run's run.json; `runs`: [(training examples, score)]."""
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, 'results.csv'), 'w', newline='') as f:
    writer = csv.DictWriter(f, ['seed', 'score', 'status', 'run_dir'])
    writer.writeheader()
    for index, (num_train, score) in enumerate(runs):
      run_dir = os.path.join(folder, f'run{index}')
      os.makedirs(run_dir)
      with open(os.path.join(run_dir, 'run.json'), 'w') as g:
        json.dump({'num_train': num_train, 'score': score}, g)
      writer.writerow({'seed': index, 'score': score, 'status': 'ok',
                       'run_dir': run_dir})
    writer.writerow({'seed': 9, 'score': '', 'status': 'diverged',
                     'run_dir': os.path.join(folder, 'diverged')})
