r"""The README's main job: raw text to a fine-tuning score, on bundled data.

  python -m official_ext.demo --output_dir=out/demo      (make demo)

1. vocab + statically-masked TFRecords from WikiText-2 (tfrecords_tools.demo);
2. pretrain a small TEAMS (gin/teams_mini.gin: 2 layers x 128) on them;
3. export its trunk, and the same architecture untrained;
4. fine-tune both on the bundled SST-2 sample (data/sst2), several seeds;
5. print the comparison table and write `comparison.png`.
Each stage runs as its own process and logs to `<output_dir>/logs/`. A rerun
skips finished stages and resumes an interrupted pretraining from its last
checkpoint. About 30 minutes on 2 CPU cores (pretraining is 19 of them).
"""
import io
import json
import os
import sys
import time

from absl import app
from absl import flags
import tensorflow as tf

from official_ext import stage_process
from official_ext.stage_process import StageError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('output_dir', 'out/demo', 'Where the demo writes.')
  flags.DEFINE_integer('pretrain_steps', 6000, 'TEAMS-mini pretraining '
                       'steps (batch --pretrain_batch_size).')
  flags.DEFINE_integer('pretrain_batch_size', 32, 'Pretraining batch.')
  flags.DEFINE_integer('seeds', 3, 'Fine-tuning seeds per encoder.')
  flags.DEFINE_integer('epochs', 8, 'Fine-tuning epochs (both encoders '
                       'train to convergence on the 2,000 examples).')
  flags.DEFINE_float('learning_rate', 1e-3, 'Fine-tuning peak learning rate '
                     '(small encoders like a high one).')
  flags.DEFINE_integer('dupe_factor', 40, 'Static-masking duplicates.')
  flags.DEFINE_float('dropout_rate', 0.1, 'Encoder dropout while '
                     'fine-tuning (BERT/ELECTRA fine-tuning uses 0.1; the '
                     'demo pretrains without).')


def run_stage(name, args, log_dir):
  """Runs `python -m ...args` with its output in `<log_dir>/<name>.log`."""
  stage_process.run_module(name, args, log_dir)


def run_stages(stage_list, log_dir, label='demo'):
  """Runs each `(name, done marker, args)` stage whose marker is missing."""
  for name, marker, args in stage_list:
    if tf.io.gfile.exists(marker):
      print(f'[{label}] {name}: already done ({marker})', flush=True)
      continue
    run_stage(name, args, log_dir)


def run_job(stage_list, out, program, label='demo'):
  """`run_stages` with logs in `<out>/logs`; a failed stage exits 1 with its
  message."""
  try:
    run_stages(stage_list, os.path.join(out, 'logs'), label)
  except StageError as e:
    print(f'{program}: error: {e}', file=sys.stderr, flush=True)
    sys.exit(1)


def stages(out):
  """(name, done-marker path, module args) of every stage, in order."""
  data = os.path.join(out, 'data')
  manifest = os.path.join(data, 'data', 'manifest.json')
  vocab = os.path.join(data, 'vocab.txt')
  pretrain = os.path.join(out, 'pretrain')
  steps = FLAGS.pretrain_steps
  result = [
      ('data', manifest,
       ['tfrecords_tools.demo', f'--output_dir={data}',
        f'--dupe_factor={FLAGS.dupe_factor}']),
      ('pretrain', os.path.join(pretrain, f'ckpt-{steps}.index'),
       ['official_ext.train', '--gin_file=gin/teams_mini.gin',
        f'--data_manifest={manifest}', f'--model_dir={pretrain}',
        f'--gin_bindings=TRAIN_STEPS = {steps}',
        f'--gin_bindings=BATCH_SIZE = {FLAGS.pretrain_batch_size}',
        f'--gin_bindings=WARMUP_STEPS = {max(1, steps // 10)}',
        '--gin_bindings=LOG_INTERVAL = 100',
        f'--gin_bindings=CHECKPOINT_INTERVAL = {_round(steps // 3)}',
        f'--gin_bindings=EVAL_INTERVAL = {_round(steps)}']),
  ]
  for kind, extra in (('pretrained', []), ('random', ['--random_init'])):
    export = os.path.join(out, 'export', kind)
    result.append((f'export_{kind}',
                   os.path.join(export, 'encoder_config.json'),
                   ['official_ext.export', f'--model_dir={pretrain}',
                    f'--output_dir={export}'] + extra))
  for kind in ('pretrained', 'random'):
    result.append((f'finetune_{kind}',
                   os.path.join(out, 'finetune', kind, 'summary.json'),
                   ['official_ext.finetune', '--task=glue/sst2',
                    f"--init_checkpoint={os.path.join(out, 'export', kind)}",
                    f'--vocab_file={vocab}',
                    f"--data_dir={os.path.join(REPO, 'data', 'sst2')}",
                    f"--model_dir={os.path.join(out, 'finetune', kind)}",
                    f'--seeds={FLAGS.seeds}', f'--epochs={FLAGS.epochs}',
                    f'--learning_rates={FLAGS.learning_rate}',
                    f'--dropout_rate={FLAGS.dropout_rate}',
                    '--max_seq_length=64']))
  return result


def _round(steps):
  """A multiple of the log interval (100), at least 100."""
  return max(100, (steps // 100) * 100)


def compare(out):
  """The comparison table (markdown) and plot of both fine-tunings."""
  rows, scores = [], {}
  for kind in ('pretrained', 'random'):
    with tf.io.gfile.GFile(
        os.path.join(out, 'finetune', kind, 'summary.json')) as f:
      summary = json.load(f)['tasks']['glue/sst2']
    config = summary['configs'][0]
    scores[kind] = _seed_scores(os.path.join(out, 'finetune', kind))
    rows.append(f"| {kind} encoder | {config['ok']} | "
                f"{summary['median']['score']:.1f} | "
                f"{config['mean']:.1f} ± {config['std']:.1f} | "
                f"{config['min']:.1f} | {config['max']:.1f} |")
  table = ('| SST-2 sample, dev accuracy (%) | seeds | median | mean ± std |'
           ' min | max |\n|---|---|---|---|---|---|\n' + '\n'.join(rows))
  plot = os.path.join(out, 'comparison.png')
  _plot(scores, plot)
  return table, plot


def _seed_scores(model_dir):
  import csv  # pylint: disable=g-import-not-at-top
  with tf.io.gfile.GFile(os.path.join(model_dir, 'results.csv')) as f:
    return [float(r['score']) for r in csv.DictReader(f) if r['status'] == 'ok']


def _plot(scores, path):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  figure, axes = pyplot.subplots(figsize=(5, 3.5))
  for index, (kind, values) in enumerate(scores.items()):
    axes.scatter([index] * len(values), values, label=kind)
    axes.hlines(sorted(values)[len(values) // 2], index - 0.2, index + 0.2)
  axes.set_xticks(range(len(scores)), [f'{k} encoder' for k in scores])
  axes.set_ylabel('SST-2 sample dev accuracy (%)')
  axes.set_title('TEAMS-mini pretraining vs random initialisation')
  figure.tight_layout()
  image = io.BytesIO()  # matplotlib writes local files only: go via gfile
  figure.savefig(image, format='png', dpi=100)
  pyplot.close(figure)
  with tf.io.gfile.GFile(path, 'wb') as f:
    f.write(image.getvalue())


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  out = FLAGS.output_dir
  if '://' not in out:
    out = os.path.abspath(out)
  start = time.time()
  run_job(stages(out), out, 'official_ext.demo')
  table, plot = compare(out)
  print('\n' + table)
  print(f'\nplot: {plot}\nreports: {out}/finetune/*/results.md\n'
        f'[demo] all done in {time.time() - start:.0f}s', flush=True)


if __name__ == '__main__':
  define_flags()
  app.run(main)
