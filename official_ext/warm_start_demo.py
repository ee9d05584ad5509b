r"""Continued pretraining from a released encoder, on bundled data.

  python -m official_ext.warm_start_demo --output_dir=out/warm_start
  (make warm-start)

The README's three steps, with a "released" encoder the repo makes itself
(no download): a TEAMS-mini pretrained briefly on WikiText-2's validation
split and published in the Hugging Face layout stands for e.g.
`bert-base-uncased`.

1. base_data, base_pretrain, release: records from the validation split,
   a short TEAMS-mini pretraining, `official_ext.export --format=hf`;
2. import: `official_ext.import_checkpoint` of the HF directory;
3. own_data: records of "your corpus" (the test split) built with the
   imported `vocab.txt` (the vocab must be the checkpoint's);
4. continue: `official_ext.train --init_checkpoint=<import>` (TEAMS-mini);
5. export, finetune: the continued encoder on the bundled SST-2 sample.
Stages run as processes logging to `<output_dir>/logs/`; a rerun skips
finished ones. About 15 minutes on 2 CPU cores with the defaults.
"""
import json
import os
import time

from absl import app
from absl import flags
import tensorflow as tf

from official_ext import demo

FLAGS = flags.FLAGS
_CORPUS = os.path.join(demo.REPO, 'data', 'wikitext2', '{}.bert.txt')


def define_flags():
  flags.DEFINE_string('output_dir', 'out/warm_start', 'Where it writes.')
  flags.DEFINE_integer('base_steps', 300, 'Steps of the "released" '
                       'encoder\'s pretraining.')
  flags.DEFINE_integer('continue_steps', 300, 'Continued-pretraining '
                       'steps.')
  flags.DEFINE_integer('dupe_factor', 5, 'Static-masking duplicates.')
  flags.DEFINE_integer('epochs', 2, 'SST-2 fine-tuning epochs (one seed).')


def _pretrain_args(manifest, model_dir, steps, *extra):
  interval = demo._round(steps)  # pylint: disable=protected-access
  return (['official_ext.train', '--gin_file=gin/teams_mini.gin',
           f'--data_manifest={manifest}', f'--model_dir={model_dir}',
           f'--gin_bindings=TRAIN_STEPS = {steps}',
           f'--gin_bindings=WARMUP_STEPS = {max(1, steps // 10)}',
           f'--gin_bindings=CHECKPOINT_INTERVAL = {interval}',
           f'--gin_bindings=EVAL_INTERVAL = {interval}'] + list(extra))


def stages(out, base_steps, continue_steps, dupe_factor, epochs):
  """(name, done-marker path, module args) of every stage, in order."""
  base_data = os.path.join(out, 'base_data')
  base_manifest = os.path.join(base_data, 'data', 'manifest.json')
  base = os.path.join(out, 'base_pretrain')
  released = os.path.join(out, 'released_hf')
  imported = os.path.join(out, 'imported')
  own_data = os.path.join(out, 'own_data')
  own_manifest = os.path.join(own_data, 'manifest.json')
  continued = os.path.join(out, 'continue')
  export = os.path.join(out, 'export')
  finetune = os.path.join(out, 'finetune')
  return [
      ('base_data', base_manifest,
       ['tfrecords_tools.s0_prep.demo', f'--output_dir={base_data}',
        f"--corpus={_CORPUS.format('valid')}",
        f'--dupe_factor={dupe_factor}']),
      ('base_pretrain',
       os.path.join(base, f'ckpt-{base_steps}.index'),
       _pretrain_args(base_manifest, base, base_steps)),
      ('release', os.path.join(released, 'config.json'),
       ['official_ext.export', f'--model_dir={base}',
        f'--output_dir={released}', '--format=hf']),
      ('import', os.path.join(imported, 'encoder_config.json'),
       ['official_ext.import_checkpoint', f'--source={released}',
        f'--output_dir={imported}']),
      ('own_data', own_manifest,
       ['tfrecords_tools.create_pretraining_data',
        f"--input_file={_CORPUS.format('test')}",
        f"--vocab_file={os.path.join(imported, 'vocab.txt')}",
        f'--output_dir={own_data}', '--max_seq_length=64',
        '--max_predictions_per_seq=10', f'--dupe_factor={dupe_factor}',
        '--pair_mode=so', '--num_shards=2']),
      ('continue',
       os.path.join(continued, f'ckpt-{continue_steps}.index'),
       _pretrain_args(own_manifest, continued, continue_steps,
                      f'--init_checkpoint={imported}')),
      ('export', os.path.join(export, 'encoder_config.json'),
       ['official_ext.export', f'--model_dir={continued}',
        f'--output_dir={export}', '--nosaved_model']),
      ('finetune', os.path.join(finetune, 'summary.json'),
       ['official_ext.finetune', '--task=glue/sst2',
        f'--init_checkpoint={export}',
        f"--data_dir={os.path.join(demo.REPO, 'data', 'sst2')}",
        f'--model_dir={finetune}', '--seeds=1', f'--epochs={epochs}',
        '--learning_rates=1e-3', '--max_seq_length=64']),
  ]


def summary(out):
  """One line: the fine-tuning score of the continued encoder."""
  with tf.io.gfile.GFile(os.path.join(out, 'finetune', 'summary.json')) as f:
    task = json.load(f)['tasks']['glue/sst2']
  return (f"SST-2 sample dev accuracy of the continued encoder: "
          f"{task['median']['score']:.1f}")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  out = os.path.abspath(FLAGS.output_dir)
  start = time.time()
  demo.run_job(stages(out, FLAGS.base_steps, FLAGS.continue_steps,
                      FLAGS.dupe_factor, FLAGS.epochs), out,
               'official_ext.warm_start_demo', label='warm_start')
  print(f'{summary(out)}\n[warm_start] all done in '
        f'{time.time() - start:.0f}s', flush=True)


if __name__ == '__main__':
  define_flags()
  app.run(main)
