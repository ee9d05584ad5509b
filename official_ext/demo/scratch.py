r"""Pretraining from scratch: raw text to a fine-tuning score, on bundled data.

  python -m official_ext.demo.scratch --output_dir=out/demo_scratch
  (make demo-scratch)

1. vocab + statically-masked TFRecords (tfrecords_tools.s0_prep.demo, dupe
   factor 10) from WikiText-2 and the unlabelled SST-2 movie-review text
   (data/sst2/unlabelled.bert.txt: in-domain text for the fine-tuning task,
   no dev-sample text in it); every 10th document is held out;
2. pretrain BERT-mini, masked LM (gin/bert_mini_mlm.gin: 2 layers x 128)
   for 4,000 steps of 32 (`--pretrain_gin` picks another model, e.g.
   gin/teams_mini.gin);
3. its masked-LM accuracy on the held-out records;
4. export its trunk, and the same architecture untrained;
5. fine-tune both on the bundled SST-2 sample (data/sst2: 2,000 train, 872
   dev), 3 seeds each, one recipe for both (lr 1e-3, 5 epochs, length 48);
6. the learning curve: both again on fixed class-balanced subsets of 100,
   300 and 1,000 examples (`finetune --max_train_examples`, the same subset
   for every seed and encoder, every size of an encoder in one process;
   epochs raised so each point trains at least 150 steps; batches padded to
   the full length, as when the README's table was measured);
7. print the comparison table and the learning-curve table (per size each
   encoder's median [min-max] over seeds, the gap, and whether the seed
   ranges overlap), and write `comparison.png` and `learning_curve.png`
   (median line over a min-max band per encoder).
Each stage runs as its own process and logs to `<output_dir>/logs/`. A rerun
skips finished stages and resumes an interrupted pretraining from its last
checkpoint; the recipe's flags are kept in `<output_dir>/recipe.json`, and a
rerun with other values stops with one line naming them (stages of two
recipes are never mixed: `stages`). Time and measured scores: README.md.
The main job (`make demo`, `adaptation`) continues a released encoder
instead: at a 2-core budget pretraining from scratch does not beat random
initialisation, as the table this job prints shows.

Why masked LM: at this budget (4,000 steps of 32 x 64 tokens, about 1/2,000
of ELECTRA-Small's pretraining) TEAMS and ELECTRA discriminators are still
in their collapsed phase (bench/token_cosine.py): a 3,000-step TEAMS-mini
fine-tunes to the majority class, and it takes about 6,000 steps (20 minutes
here) to come back to random init's level.
"""
import json
import os
import statistics
import time

from absl import app
from absl import flags
import tensorflow as tf

from official_ext import figures
from official_ext import learning_curve
from official_ext.demo import results
from official_ext.demo import stages as stages_lib

KINDS = ('pretrained', 'random')
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SST2 = os.path.join(REPO, 'data', 'sst2')
FLAGS = flags.FLAGS
BATCH_SIZE = 32


def define_flags(flag_values=FLAGS):
  """Defines the demo's flags (in `flag_values`: tests use their own, as
  finetune shares some names)."""
  flags.DEFINE_string('output_dir', 'out/demo', 'Where the demo writes.',
                      flag_values=flag_values)
  flags.DEFINE_string('pretrain_gin', 'gin/bert_mini_mlm.gin', 'Gin file '
                      'of the model pretrained (mini size: 64 positions).',
                      flag_values=flag_values)
  flags.DEFINE_integer('pretrain_steps', 4000, 'Pretraining steps (batch '
                       '--pretrain_batch_size).',
                       flag_values=flag_values)
  flags.DEFINE_integer('pretrain_batch_size', 32, 'Pretraining batch.',
                       flag_values=flag_values)
  flags.DEFINE_integer('seeds', 3, 'Fine-tuning seeds per encoder.',
                       flag_values=flag_values)
  flags.DEFINE_integer('epochs', 5, 'Fine-tuning epochs on the whole '
                       'training set (313 steps of 32).',
                       flag_values=flag_values)
  flags.DEFINE_float('learning_rate', 1e-3, 'Fine-tuning peak learning rate '
                     '(one for both encoders).',
                     flag_values=flag_values)
  flags.DEFINE_integer('dupe_factor', 10, 'Static-masking duplicates (4,000 '
                       'steps of 32 read each record about 1.5 times).',
                       flag_values=flag_values)
  flags.DEFINE_float('dropout_rate', 0.1, 'Encoder dropout while '
                     'fine-tuning (BERT/ELECTRA fine-tuning uses 0.1; the '
                     'demo pretrains without).',
                     flag_values=flag_values)
  flags.DEFINE_integer('max_seq_length', 48, 'Fine-tuning sequence length '
                       '(98.8% of the SST-2 sample fits).',
                       flag_values=flag_values)
  flags.DEFINE_list('curve_sizes', ['100', '300', '1000'], 'Learning-curve '
                    'training-set sizes (fixed class-balanced subsets); the '
                    'whole set is the comparison above.',
                    flag_values=flag_values)
  flags.DEFINE_integer('curve_min_steps', 150, 'Each learning-curve point '
                       'trains at least this many steps (epochs raised for '
                       'small sets; both encoders alike).',
                       flag_values=flag_values)


def stages(out):
  """Every stage, in order (`stages_lib.Stage`)."""
  data = os.path.join(out, 'data')
  manifest = os.path.join(data, 'data', 'manifest.json')
  vocab = os.path.join(data, 'vocab.txt')
  pretrain = os.path.join(out, 'pretrain')
  steps = FLAGS.pretrain_steps
  result = [
      # Marker: the held-out records, written after the training ones.
      stages_lib.Stage.of(
          'data', os.path.join(data, 'heldout', 'manifest.json'),
          ['tfrecords_tools.s0_prep.demo', f'--output_dir={data}',
           f'--dupe_factor={FLAGS.dupe_factor}']),
      stages_lib.Stage.of(
          'pretrain', os.path.join(pretrain, f'ckpt-{steps}.index'),
          ['official_ext.train', f'--gin_file={FLAGS.pretrain_gin}',
           f'--data_manifest={manifest}', f'--model_dir={pretrain}',
           f'--gin_bindings=TRAIN_STEPS = {steps}',
           f'--gin_bindings=BATCH_SIZE = {FLAGS.pretrain_batch_size}',
           f'--gin_bindings=WARMUP_STEPS = {max(1, steps // 10)}',
           '--gin_bindings=LOG_INTERVAL = 100',
           f'--gin_bindings=CHECKPOINT_INTERVAL = {_round(steps // 3)}',
           f'--gin_bindings=EVAL_INTERVAL = {_round(steps)}']),
      stages_lib.Stage.of(
          'heldout_eval', heldout_metrics_path(out),
          ['official_ext.train', f'--gin_file={FLAGS.pretrain_gin}',
           f'--data_manifest={manifest}',
           '--eval_data_manifest=' +
           os.path.join(data, 'heldout', 'manifest.json'),
           f'--model_dir={pretrain}', '--mode=eval',
           f'--metrics_json={heldout_metrics_path(out)}',
           f'--gin_bindings=BATCH_SIZE = {FLAGS.pretrain_batch_size}',
           '--gin_bindings=EVAL_STEPS = -1']),
  ]
  for kind, extra in (('pretrained', []), ('random', ['--random_init'])):
    export = os.path.join(out, 'export', kind)
    result.append(stages_lib.Stage.of(
        f'export_{kind}', os.path.join(export, 'encoder_config.json'),
        ['official_ext.export', f'--model_dir={pretrain}',
         f'--output_dir={export}'] + extra))
  for kind in KINDS:
    result.append(finetune_stage(out, kind, vocab))
  return result


def finetune_stage(out, kind, vocab):
  """`official_ext.finetune` of one encoder on the SST-2 sample with the
  demo's recipe, every curve size and the whole set in one process; done
  when every run has its run.json."""
  model_dir = os.path.join(out, 'finetune', kind)
  sizes = curve_sizes()
  args = ['official_ext.finetune', '--task=glue/sst2',
          f"--init_checkpoint={os.path.join(out, 'export', kind)}",
          f'--vocab_file={vocab}', f'--data_dir={SST2}',
          f'--model_dir={model_dir}', f'--seeds={FLAGS.seeds}',
          f'--epochs={FLAGS.epochs}',
          f'--learning_rates={FLAGS.learning_rate}',
          f'--dropout_rate={FLAGS.dropout_rate}',
          f'--max_seq_length={FLAGS.max_seq_length}',
          f"--max_train_examples={','.join(map(str, sizes + ['all']))}",
          f'--min_train_steps={FLAGS.curve_min_steps}',
          '--notrim_padding']
  markers = stages_lib.finetune_markers(
      model_dir, 'glue/sst2', FLAGS.learning_rate, BATCH_SIZE, FLAGS.epochs,
      FLAGS.seeds, sizes, FLAGS.curve_min_steps, _sst2_train_examples())
  return stages_lib.Stage.of(f'finetune_{kind}', markers, args)


def curve_sizes():
  """--curve_sizes as sorted ints; one line naming the flag otherwise."""
  try:
    sizes = sorted({int(size) for size in FLAGS.curve_sizes})
  except ValueError:
    raise app.UsageError(f'--curve_sizes: expected whole numbers, got '
                         f'{",".join(FLAGS.curve_sizes)}') from None
  if sizes and sizes[0] < 1:
    raise app.UsageError(f'--curve_sizes: sizes must be at least 1, got '
                         f'{sizes[0]}')
  available = _sst2_train_examples()
  if sizes and sizes[-1] > available:
    raise app.UsageError(f'--curve_sizes: {sizes[-1]} is more than the '
                         f'{available} training examples of data/sst2')
  return sizes


def _sst2_train_examples():
  with tf.io.gfile.GFile(os.path.join(SST2, 'train.tsv')) as f:
    return sum(1 for line in f.read().split('\n')[1:] if line.strip())


def _round(steps):
  """A multiple of the log interval (100), at least 100."""
  return max(100, (steps // 100) * 100)


def model_label():
  """The pretrained model's name in tables and plots: --pretrain_gin's
  file name (`gin/bert_mini_mlm.gin` -> `bert_mini_mlm`)."""
  return os.path.splitext(os.path.basename(FLAGS.pretrain_gin))[0]


def heldout_metrics_path(out):
  return os.path.join(out, 'heldout_eval', 'metrics.json')


# Held-out metric -> (label, what an untrained model scores).
_HELDOUT = (('mlm_accuracy', 'MLM accuracy', '1/vocab'),
            ('rtd_auc', 'RTD AUC (discriminator)', '0.5'),
            ('rtd_accuracy', 'RTD accuracy', 'share of original tokens'),
            ('mws_accuracy', 'MWS accuracy (1 of K+1 candidates)', '1/(K+1)'))


def heldout_table(out):
  """Markdown: the pretrained model's metrics on the held-out records
  (documents the pretraining never saw), next to what chance scores."""
  with tf.io.gfile.GFile(heldout_metrics_path(out)) as f:
    metrics = json.load(f)
  rows = [f'| {label} | {metrics[key]:.3f} | {chance} |'
          for key, label, chance in _HELDOUT if key in metrics]
  return (f'| held-out pretraining metric | {model_label()} | chance |\n'
          '|---|---|---|\n' + '\n'.join(rows))


def _scores(out):
  """{kind: {training examples: [seed scores]}}."""
  return {kind: results.scores([os.path.join(out, 'finetune', kind)])
          for kind in KINDS}


def compare(out):
  """The comparison table (markdown) and plot on the whole training set."""
  full = _sst2_train_examples()
  rows, whole = [], {}
  for kind, by_size in _scores(out).items():
    scores = whole[kind] = by_size.get(full, [])
    mean = statistics.fmean(scores) if scores else float('nan')
    std = statistics.pstdev(scores) if scores else float('nan')
    rows.append(f'| {kind} encoder | {len(scores)}/{FLAGS.seeds} | '
                f'{statistics.median(scores) if scores else float("nan"):.1f}'
                f' | {mean:.1f} ± {std:.1f} | '
                f'{min(scores, default=float("nan")):.1f} | '
                f'{max(scores, default=float("nan")):.1f} |')
  table = ('| SST-2 sample, dev accuracy (%) | seeds | median | mean ± std |'
           ' min | max |\n|---|---|---|---|---|---|\n' + '\n'.join(rows))
  plot = os.path.join(out, 'comparison.png')
  _plot(whole, plot)
  return table, plot


def curve(out):
  """The learning curve (markdown table, PNG path): every curve point and
  the whole-set comparison, per encoder."""
  curves = learning_curve.points(_scores(out))
  metric = 'SST-2 sample dev accuracy (%)'
  path = os.path.join(out, 'learning_curve.png')
  learning_curve.plot(curves, path, metric,
                      f'{model_label()}: pretrained vs random, by labelled '
                      'data')
  return (learning_curve.table(curves, metric, _sst2_train_examples()),
          path)


def _plot(scores, path):
  pyplot = figures.pyplot()
  figure, axes = pyplot.subplots(figsize=(5, 3.5))
  for index, (kind, values) in enumerate(scores.items()):
    axes.scatter([index] * len(values), values, label=kind)
    if values:
      axes.hlines(sorted(values)[len(values) // 2], index - 0.2, index + 0.2)
  axes.set_xticks(range(len(scores)), [f'{k} encoder' for k in scores])
  axes.set_ylabel('SST-2 sample dev accuracy (%)')
  axes.set_title(f'{model_label()} pretraining vs random initialisation')
  figure.tight_layout()
  figures.save_png(figure, path)


# Flags whose change invalidates finished stages (--curve_sizes only adds
# or drops curve runs, each in a folder of its own size).
RECIPE_FLAGS = ('pretrain_gin', 'pretrain_steps', 'pretrain_batch_size',
                'seeds', 'epochs', 'learning_rate', 'dupe_factor',
                'dropout_rate', 'max_seq_length', 'curve_min_steps')


def check_recipe(out):
  """`stages_lib.check_recipe` with this job's recipe flags."""
  stages_lib.check_recipe(out, {k: FLAGS[k].value for k in RECIPE_FLAGS},
                          os.path.join(out, 'data'))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  out = FLAGS.output_dir
  if '://' not in out:
    out = os.path.abspath(out)
  start = time.time()
  check_recipe(out)
  stages_lib.run_job(stages(out), out, 'official_ext.demo.scratch')
  print('\nPretraining on held-out records (every 10th document of '
        'WikiText-2 and the unlabelled SST-2 text, never trained on):\n\n'
        + heldout_table(out))
  table, plot = compare(out)
  print('\n' + table)
  print(f'\nplot: {plot}\nreports: {out}/finetune/*/results.md')
  table, plot = curve(out)
  print('\nLearning curve (dev accuracy vs labelled training examples):\n\n'
        + table)
  print(f'\nplot: {plot}\n[demo] all done in {time.time() - start:.0f}s',
        flush=True)


if __name__ == '__main__':
  define_flags()
  app.run(main)
