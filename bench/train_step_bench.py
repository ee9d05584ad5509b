r"""Times one TEAMS pretraining train step: ours vs Model Garden's, in one run.

What is timed: one optimizer step (forward + backward + AdamW apply, plus the
task's metric updates) inside a `tf.function`, on one random batch kept on
the host, for

  peer  `official.projects.teams.teams_task.TeamsPretrainTask(
        TeamsPretrainTaskConfig(model=TeamsPretrainerConfig(...)))`,
        `task.build_model()`, `task.train_step(inputs, model, opt, metrics)`;
  ours  `official_ext.tasks.generator_discriminator_task.
        GeneratorDiscriminatorTask(teams_config(...)).train_step(...)`.

Both get the SAME encoder configs (Model Garden `BertEncoderConfig`s), the
same batch (numpy seed), the same optimizer (`tf_keras.optimizers.AdamW`, lr
1e-4, weight decay 0.01, beta 0.9/0.999, eps 1e-6) and the same TEAMS
settings: loss weights 1/5/2, K = 5 negatives (the peer's candidate_size 6),
RTD fed by layer L-1 with one task-specific transformer layer (the peer's
num_discriminator_task_agnostic_layers = L-1), tied embeddings, dropout 0.1.

Sizes (seq 128, 20 masked positions, vocab 8000):
  tiny   2 layers, hidden 128, embedding 128, 2 heads, FFN 512, generator 1
         layer sharing 1 with the discriminator, batch 16;
  small  TEAMS-small: 12 layers, hidden 256, embedding 128, 4 heads, FFN
         1024, generator 6 layers sharing the bottom 3, batch 32.

Rows for each size: peer fp32, ours fp32, ours mixed_bfloat16 (global Keras
policy set before building a fresh model), ours fp32 with
`tf.function(jit_compile=True)`; `--peer_variants` adds peer bf16 and peer
jit. Every row runs in a fresh subprocess (this script with `--row`, which
prints one JSON line), so graphs, policies and caches never leak between rows
and rows never run at the same time.

In each row: the model is built and called once eagerly (variable creation,
not timed), then W warm-up steps (the first one traces, and compiles under
jit; its time is reported as "first s"), then N timed steps, each synchronised
by reading the loss back to the host. ms/step is the median of the N steps;
seq/s = batch / median, tokens/s = batch * seq / median, "vs peer" =
peer fp32 median / row median (> 1: faster than the peer), GFLOP/s = the
analytic training FLOPs per step (bench/flops.py) / median, "cpu ms" = the
process's CPU time (user + sys, all threads) per timed step (less sensitive
than wall time to other jobs on the machine). A row that fails
(an op without a bf16 CPU kernel, an XLA error, a timeout) is printed as
"failed: <reason>"; the other rows still run.

After the table: the FLOPs model's count for the measured configs and for the
paper's TEAMS small/base/large, with the implied time per step on stated
accelerators at a stated utilisation.

Other modes (each also one subprocess per job):
  --paired   per size, the peer (fp32) and ours (fp32, or bf16 with
             --paired_variants=fp32,bf16) in ONE process with their steps
             alternated (order flipped every step); prints the median of the
             per-step time ratios, robust to load changes during the run.
  --profile  per implementation, the time of forward only, forward+backward,
             the full step, and (ours) the step without metrics and the
             sampler's parts: per-row vectorised draws vs the former per-row
             tf.map_fn and other alternatives, ours vs the peer's sampler on
             the same logits.

Usage (from the repo root; the default run takes about 5 minutes on 2 cores):
  .venv/bin/python bench/train_step_bench.py
  .venv/bin/python bench/train_step_bench.py --quick          # tiny only
  .venv/bin/python bench/train_step_bench.py --sizes=small --peer_variants
  .venv/bin/python bench/train_step_bench.py --rows=peer:jit,ours:jit
  .venv/bin/python bench/train_step_bench.py --paired
  .venv/bin/python bench/train_step_bench.py --profile --profile_variants=fp32,jit
"""
import argparse
import functools
import importlib.metadata
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(_HERE)
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)
if _REPO not in sys.path:
  sys.path.insert(0, _REPO)

import flops  # pylint: disable=g-import-not-at-top,wrong-import-position

SEQ = 128
PREDICTIONS = 20
NEGATIVES = 5
VOCAB = 8000
DROPOUT = 0.1
MASK_ID = 4
CLS_ID = 2

# name: (layers, hidden, embedding, heads, ffn, generator layers,
#        shared layers, batch)
SIZES = {
    "tiny": (2, 128, 128, 2, 512, 1, 1, 16),
    "small": (12, 256, 128, 4, 1024, 6, 3, 32),
}
DISPLAY = {"tiny": "tiny", "small": "TEAMS-small"}
# Default warm-up and timed steps per size.
DEFAULT_STEPS = {"tiny": (3, 8), "small": (1, 4)}
VARIANTS = ("fp32", "bf16", "jit")
DEFAULT_ROWS = (("peer", "fp32"), ("ours", "fp32"), ("ours", "bf16"),
                ("ours", "jit"))
PEER_EXTRA_ROWS = (("peer", "bf16"), ("peer", "jit"))
OPTIMIZER = dict(learning_rate=1e-4, weight_decay=0.01, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-6)


def parse_args(argv=None):
  p = argparse.ArgumentParser(
      description=__doc__.split("\n", 1)[0],
      formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--sizes", default="tiny,small",
                 help="Comma-separated sizes among: " + ",".join(SIZES))
  p.add_argument("--quick", action="store_true",
                 help="Only the tiny size (smoke run).")
  p.add_argument("--peer_variants", action="store_true",
                 help="Also time the peer with mixed_bfloat16 and with "
                 "jit_compile.")
  p.add_argument("--rows", default=None,
                 help="Comma-separated impl:variant rows to run instead of "
                 "the default set, e.g. 'peer:fp32,peer:jit' (impl: peer, "
                 "ours; variant: " + ", ".join(VARIANTS) + ").")
  for size in SIZES:
    warmup, steps = DEFAULT_STEPS[size]
    p.add_argument(f"--{size}_warmup", type=int, default=warmup,
                   help=f"Untimed steps of {size}, the tracing one included "
                   f"(default {warmup}).")
    p.add_argument(f"--{size}_steps", type=int, default=steps,
                   help=f"Timed steps of {size}; the median is reported "
                   f"(default {steps}).")
  p.add_argument("--seed", type=int, default=0,
                 help="Seed of the random batch and of TF's global RNG.")
  p.add_argument("--timeout", type=float, default=900.0,
                 help="Seconds before a row's subprocess is killed.")
  p.add_argument("--json_out", default=None,
                 help="Also write every row's result to this JSON file.")
  p.add_argument("--profile", action="store_true",
                 help="Instead of the table: time the parts of a step "
                 "(forward, forward+backward, the sampler's draws) for both "
                 "implementations.")
  p.add_argument("--paired", action="store_true",
                 help="Instead of the table: per size, ONE subprocess builds "
                 "the peer and ours (fp32) and alternates their steps, so "
                 "both see the same machine load; prints the median of the "
                 "per-step ratios (more robust than the table's ratio on a "
                 "busy machine).")
  p.add_argument("--paired_variants", default="fp32",
                 help="With --paired: comma-separated variants of ours "
                 "(fp32, bf16) each alternated with the peer fp32.")
  p.add_argument("--profile_variants", default="fp32",
                 help="With --profile: comma-separated variants among "
                 "fp32,bf16,jit.")
  p.add_argument("--profile_impls", default="peer,ours",
                 help="With --profile: which implementations.")
  p.add_argument("--python", default=sys.executable,
                 help="Interpreter for the row subprocesses.")
  # Internal: run one row in this process and print its JSON.
  p.add_argument("--row", default=None, help=argparse.SUPPRESS)
  p.add_argument("--warmup", type=int, default=None, help=argparse.SUPPRESS)
  p.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
  return p.parse_args(argv)


def measured_shape(size):
  """The flops.TeamsShape of a measured CPU config."""
  layers, hidden, emb, heads, ffn, gen_layers, _, batch = SIZES[size]
  return flops.TeamsShape(
      name=DISPLAY[size], num_layers=layers, hidden=hidden, embedding=emb,
      heads=heads, ffn=ffn, generator_layers=gen_layers, vocab=VOCAB, seq=SEQ,
      batch=batch, predictions=PREDICTIONS, negatives=NEGATIVES)


def _log(msg):
  print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------- one row (subprocess)


def encoder_configs(size):
  """(generator, discriminator) Model Garden BertEncoderConfigs."""
  from official_ext.modeling.models import size_presets  # pylint: disable=g-import-not-at-top
  layers, hidden, emb, heads, ffn, gen_layers, _, _ = SIZES[size]
  disc = size_presets.encoder_config(layers, hidden, emb, heads, ffn, VOCAB,
                                     max_seq_length=512, dropout_rate=DROPOUT)
  gen = size_presets.encoder_config(gen_layers, hidden, emb, heads, ffn,
                                    VOCAB, max_seq_length=512,
                                    dropout_rate=DROPOUT)
  return gen, disc


def build_peer(size):
  """(task, model) of Model Garden's TEAMS."""
  from official.projects.teams import teams  # pylint: disable=g-import-not-at-top
  from official.projects.teams import teams_task  # pylint: disable=g-import-not-at-top
  layers, _, _, _, _, _, shared, _ = SIZES[size]
  gen, disc = encoder_configs(size)
  task = teams_task.TeamsPretrainTask(teams_task.TeamsPretrainTaskConfig(
      model=teams.TeamsPretrainerConfig(
          candidate_size=NEGATIVES + 1, generator_loss_weight=1.0,
          discriminator_rtd_loss_weight=5.0,
          discriminator_mws_loss_weight=2.0, tie_embeddings=True,
          num_shared_generator_hidden_layers=shared,
          num_discriminator_task_agnostic_layers=layers - 1,
          generator=gen, discriminator=disc)))
  return task, task.build_model()


def ours_config(size):
  from official_ext.modeling.models import pretrainer_config  # pylint: disable=g-import-not-at-top
  layers, _, _, _, _, _, shared, _ = SIZES[size]
  gen, disc = encoder_configs(size)
  return pretrainer_config.teams_config(
      "small", VOCAB, generator=gen, discriminator=disc,
      layer_sharing="bottom", num_shared_layers=shared, tie_embeddings=True,
      rtd_input_layer=layers - 1, rtd_task_layers=1, use_mws=True,
      num_negatives=NEGATIVES, candidate_strategy="sampled",
      mlm_loss_weight=1.0, rtd_loss_weight=5.0, mws_loss_weight=2.0)


def build_ours(size):
  """(task, model) of ours."""
  from official_ext.tasks import generator_discriminator_task  # pylint: disable=g-import-not-at-top
  task = generator_discriminator_task.GeneratorDiscriminatorTask(
      ours_config(size))
  return task, task.build_model()


def random_batch(size, seed):
  """The same masked random batch for every row (numpy, fixed seed)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  batch = SIZES[size][-1]
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, VOCAB, size=(batch, SEQ)).astype(np.int32)
  ids[:, 0] = CLS_ID
  positions = np.stack([
      np.sort(rng.choice(np.arange(1, SEQ), PREDICTIONS, replace=False))
      for _ in range(batch)]).astype(np.int32)
  lm_ids = np.take_along_axis(ids, positions, axis=1)
  np.put_along_axis(ids, positions, MASK_ID, axis=1)
  types = np.zeros((batch, SEQ), np.int32)
  types[:, SEQ // 2:] = 1
  return {
      "input_word_ids": ids,
      "input_mask": np.ones((batch, SEQ), np.int32),
      "input_type_ids": types,
      "masked_lm_positions": positions,
      "masked_lm_ids": lm_ids,
      "masked_lm_weights": np.ones((batch, PREDICTIONS), np.float32),
  }


def _setup_tf(variant, seed):
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  tf.get_logger().setLevel("ERROR")
  tf.random.set_seed(seed)
  if variant == "bf16":
    tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
  return tf, tf_keras


def build_row(size, impl, variant, seed):
  """(tf, tf_keras, task, model, optimizer, metrics, inputs) for one row.

  The Keras dtype policy is set first (mixed_bfloat16 for "bf16"), so the
  model is built fresh under it.
  """
  tf, tf_keras = _setup_tf(variant, seed)
  task, model = (build_peer if impl == "peer" else build_ours)(size)
  inputs = {k: tf.constant(v) for k, v in random_batch(size, seed).items()}
  model(inputs, training=False)  # creates the variables, not timed
  optimizer = tf_keras.optimizers.AdamW(**OPTIMIZER)
  metrics = task.build_metrics()
  return tf, tf_keras, task, model, optimizer, metrics, inputs


def run_row(size, impl, variant, warmup, steps, seed):
  """Builds and times one row; returns a JSON-able dict."""
  start = time.perf_counter()
  try:
    tf, tf_keras, task, model, optimizer, metrics, inputs = build_row(
        size, impl, variant, seed)
    build_s = time.perf_counter() - start

    def train_step(x):
      return task.train_step(x, model, optimizer, metrics)

    step = tf.function(train_step, jit_compile=(variant == "jit"))
    loss_key = task.loss

    def timed():
      t0 = time.perf_counter()
      out = step(inputs)
      loss = float(out[loss_key].numpy())
      return time.perf_counter() - t0, loss

    first_s, loss = timed()
    _log(f"    {size} {impl} {variant}: first step {first_s:.1f} s, "
         f"loss {loss:.3f}")
    for _ in range(max(0, warmup - 1)):
      timed()
    times = []
    cpu0 = time.process_time()
    for _ in range(steps):
      dt, loss = timed()
      times.append(dt)
    cpu_ms = 1e3 * (time.process_time() - cpu0) / max(1, steps)
    if not math.isfinite(loss):
      raise FloatingPointError(f"loss is {loss}")
    return {
        "size": size, "impl": impl, "variant": variant,
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times), "times_ms": [1e3 * t for t in times],
        "cpu_ms": cpu_ms,
        "first_step_s": first_s, "build_s": build_s, "loss": loss,
        "params": int(sum(int(tf.size(v)) for v in model.trainable_variables)),
        "policy": tf_keras.mixed_precision.global_policy().name,
        "optimizer_iterations": int(optimizer.iterations.numpy()),
    }
  finally:
    import tf_keras  # pylint: disable=g-import-not-at-top
    tf_keras.mixed_precision.set_global_policy("float32")


def _short_reason(exc):
  """One line: the exception type and its message without Keras' wrapping."""
  text = str(exc).split("Call arguments received", 1)[0]
  lines = [l.strip() for l in text.splitlines() if l.strip() and
           not l.startswith("Exception encountered when calling layer")]
  return f"{type(exc).__name__}: {' '.join(lines)}"[:240]


def row_main(args):
  size, impl, variant = args.row.split(":")
  warmup, steps = DEFAULT_STEPS[size]
  warmup = warmup if args.warmup is None else args.warmup
  steps = steps if args.steps is None else args.steps
  try:
    result = run_row(size, impl, variant, warmup, steps, args.seed)
  except Exception as exc:  # pylint: disable=broad-except
    traceback.print_exc(file=sys.stderr)
    result = {"size": size, "impl": impl, "variant": variant,
              "error": _short_reason(exc)}
  print(json.dumps(result), flush=True)
  return 0


# -------------------------------------------------------- profile (subprocess)


def profile_row(size, impl, variant, seed, repeats):
  """Times forward, forward+backward and the sampler draws of one model.

  Every part is its own tf.function (jit_compile=True if variant is "jit").
  """
  tf, tf_keras, task, model, optimizer, metrics, inputs = build_row(
      size, impl, variant, seed)
  del tf_keras
  function = functools.partial(tf.function, jit_compile=(variant == "jit"))
  from official_ext.modeling.layers import candidate_sampler  # pylint: disable=g-import-not-at-top
  from official_ext.tasks import generator_discriminator_task as gdt  # pylint: disable=g-import-not-at-top

  if impl == "ours":
    def prepare(x):
      return dict(x, sampler_seeds=gdt.sampler_seeds(x, 0, optimizer.iterations))
  else:
    def prepare(x):
      return x

  @function
  def forward(x):
    out = model(prepare(x), training=True)
    return tf.add_n([tf.reduce_sum(tf.cast(v, tf.float32))
                     for v in tf.nest.flatten(out)
                     if v.dtype.is_floating])

  @function
  def forward_backward(x):
    with tf.GradientTape() as tape:
      out = model(prepare(x), training=True)
      if impl == "ours":
        loss = task.build_losses(x, out, model.losses)["total_loss"]
      else:
        loss = task.build_losses(x, out, metrics, model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    return tf.add_n([tf.reduce_sum(g) for g in grads if g is not None])

  @function
  def full_step(x):
    return task.train_step(x, model, optimizer, metrics)[task.loss]

  batch = SIZES[size][-1]
  draw_shape = [batch, PREDICTIONS, VOCAB]
  seeds = gdt.sampler_seeds(inputs, 0, 0)

  @function
  def draws_per_row_vectorised():  # ours: per-row SplitMix64, one fused pass
    return tf.reduce_sum(candidate_sampler.draw_uniform_per_row(
        seeds, [2, PREDICTIONS, VOCAB]))

  @function
  def draws_per_row_map_fn():  # before: [2, P, V] per row in a tf.map_fn
    return tf.reduce_sum(tf.map_fn(
        lambda s: tf.random.stateless_uniform([2, PREDICTIONS, VOCAB], seed=s),
        seeds, fn_output_signature=tf.float32))

  @function
  def draws_one_stateless():  # one stateless draw for the whole batch
    return tf.reduce_sum(tf.random.stateless_uniform(
        [2] + draw_shape, seed=seeds[0]))

  @function
  def draws_global_rng():  # the peer: the stateful global RNG
    return tf.reduce_sum(tf.random.uniform(draw_shape)) + tf.reduce_sum(
        tf.random.uniform(draw_shape))

  @function
  def draws_vectorized_per_row():  # per-row seeds without a while loop
    return tf.reduce_sum(tf.vectorized_map(
        lambda s: tf.random.stateless_uniform([2, PREDICTIONS, VOCAB], seed=s),
        seeds))

  @function
  def step_no_metrics(x):
    return task.train_step(x, model, optimizer, [])[task.loss]

  logits = tf.random.normal(draw_shape)
  lm_ids = tf.cast(inputs["masked_lm_ids"], tf.int32)

  @function
  def sampler_ours():  # replacement + K candidates from the per-row draws
    draws = candidate_sampler.draw_uniform_per_row(
        seeds, [2, PREDICTIONS, VOCAB])
    replaced = candidate_sampler.sample_replacements(logits, draws[:, 0])
    negatives = candidate_sampler.sample_candidates(
        logits, lm_ids, NEGATIVES, "sampled", draws[:, 1])
    return tf.reduce_sum(replaced) + tf.reduce_sum(negatives)

  @function
  def sampler_peer():  # Model Garden's two samplers on the same logits
    from official.nlp.modeling.models import electra_pretrainer  # pylint: disable=g-import-not-at-top
    from official.projects.teams import teams_pretrainer  # pylint: disable=g-import-not-at-top
    replaced = tf.argmax(electra_pretrainer.sample_from_softmax(logits), -1)
    negatives = teams_pretrainer.sample_k_from_softmax(
        logits, NEGATIVES, disallow=tf.one_hot(lm_ids, VOCAB))
    return tf.reduce_sum(tf.cast(replaced, tf.int32)) + tf.reduce_sum(
        negatives)

  parts = {"forward": lambda: forward(inputs),
           "forward+backward": lambda: forward_backward(inputs),
           "full step": lambda: full_step(inputs)}
  if impl == "ours":  # the peer's losses need its metrics
    parts.update({
        "full step without metrics": lambda: step_no_metrics(inputs),
        "sampler: ours (draws+argmax+top_k)": sampler_ours,
        "sampler: peer (2 draws+softmax+5x argmax)": sampler_peer,
        "draws: per-row vectorised SplitMix64 (ours)":
            draws_per_row_vectorised,
        "draws: per-row tf.map_fn (before)": draws_per_row_map_fn,
        "draws: per-row tf.vectorized_map": draws_vectorized_per_row,
        "draws: one stateless_uniform": draws_one_stateless,
        "draws: global RNG (peer)": draws_global_rng,
    })
  result = {}
  for name, fn in parts.items():
    float(fn().numpy())  # trace
    float(fn().numpy())
    times = []
    for _ in range(repeats):
      t0 = time.perf_counter()
      float(fn().numpy())
      times.append(time.perf_counter() - t0)
    result[name] = 1e3 * statistics.median(times)
    _log(f"    {size} {impl} {name}: {result[name]:.1f} ms")
  return result


def profile_main(args):
  size, impl, variant = args.row.split(":")
  repeats = args.steps or DEFAULT_STEPS[size][1]
  try:
    result = {"parts": profile_row(size, impl, variant, args.seed, repeats)}
  except Exception as exc:  # pylint: disable=broad-except
    traceback.print_exc(file=sys.stderr)
    result = {"error": _short_reason(exc)}
  result.update(size=size, impl=impl, variant=variant)
  print(json.dumps(result), flush=True)
  return 0


# --------------------------------------------------------- paired (subprocess)


def paired_row(size, warmup, steps, seed, variant="fp32"):
  """Peer fp32 and ours (fp32 or bf16) in one process, steps alternated."""
  tf, tf_keras = _setup_tf("fp32", seed)
  steps_fn = {}
  for impl in ("peer", "ours"):
    _, _, task, model, optimizer, metrics, inputs = build_row(
        size, impl, variant if impl == "ours" else "fp32", seed)
    tf_keras.mixed_precision.set_global_policy("float32")

    def train_step(x, task=task, model=model, optimizer=optimizer,
                   metrics=metrics):
      return task.train_step(x, model, optimizer, metrics)[task.loss]

    steps_fn[impl] = tf.function(train_step)

  def timed(impl):
    t0, c0 = time.perf_counter(), time.process_time()
    float(steps_fn[impl](inputs).numpy())
    return time.perf_counter() - t0, time.process_time() - c0

  for _ in range(max(1, warmup)):
    for impl in steps_fn:
      timed(impl)
  samples = {impl: [] for impl in steps_fn}
  for i in range(steps):
    for impl in (("peer", "ours") if i % 2 == 0 else ("ours", "peer")):
      samples[impl].append(timed(impl))
  result = {"ratio": statistics.median(
      p[0] / o[0] for p, o in zip(samples["peer"], samples["ours"]))}
  for impl, values in samples.items():
    result[impl] = {
        "median_ms": 1e3 * statistics.median(v[0] for v in values),
        "cpu_ms": 1e3 * statistics.mean(v[1] for v in values)}
  _log(f"    {size} paired ({variant}): peer {result['peer']['median_ms']:.1f}"
       f" ms, ours "
       f"{result['ours']['median_ms']:.1f} ms, ratio {result['ratio']:.3f}")
  return result


def paired_main(args):
  size = args.row.split(":")[0]
  warmup, steps = DEFAULT_STEPS[size]
  warmup = warmup if args.warmup is None else args.warmup
  steps = steps if args.steps is None else args.steps
  try:
    result = paired_row(size, warmup, steps, args.seed,
                        args.row.split(":")[2])
  except Exception as exc:  # pylint: disable=broad-except
    traceback.print_exc(file=sys.stderr)
    result = {"error": _short_reason(exc)}
  result.update(size=size, variant=args.row.split(":")[2])
  print(json.dumps(result), flush=True)
  return 0


# ------------------------------------------------------------------ parent


def run_subprocess(args, row_arg, warmup, steps, mode=None):
  """Runs one row (mode None, "profile" or "paired") in a subprocess."""
  cmd = [args.python, os.path.abspath(__file__), f"--row={row_arg}",
         f"--warmup={warmup}", f"--steps={steps}", f"--seed={args.seed}"]
  if mode:
    cmd.append(f"--{mode}")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  start = time.perf_counter()
  try:
    proc = subprocess.run(cmd, cwd=_REPO, env=env, capture_output=True,
                          text=True, timeout=args.timeout, check=False)
  except subprocess.TimeoutExpired:
    return {"error": f"timeout after {args.timeout:.0f} s"}, (
        time.perf_counter() - start)
  wall = time.perf_counter() - start
  for line in proc.stderr.splitlines():
    if line.startswith("    "):
      _log(line)
  lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
  if not lines:
    tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
    return {"error": f"exit {proc.returncode}: {tail[-300:]}"}, wall
  return json.loads(lines[-1]), wall


def _steps_for(args, size):
  return (getattr(args, f"{size}_warmup"), getattr(args, f"{size}_steps"))


def _load():
  return "/".join(f"{v:.2f}" for v in os.getloadavg())


def _cpu_model():
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or "unknown"


def _version(name):
  try:
    return importlib.metadata.version(name)
  except importlib.metadata.PackageNotFoundError:
    return "not installed"


def _label(impl, variant):
  name = {"fp32": "fp32", "bf16": "mixed_bfloat16",
          "jit": "fp32 jit_compile"}[variant]
  return f"{impl} {name}"


def format_table(results, sizes):
  """Table lines from row results (dicts as printed by --row)."""
  header = (f"{'size':<12} {'row':<22} {'ms/step':>9} {'min ms':>9} "
            f"{'cpu ms':>8} "
            f"{'seq/s':>7} {'tokens/s':>9} {'vs peer':>8} {'GFLOP/s':>8} "
            f"{'first s':>8} {'params':>10}")
  lines = [header, "-" * len(header)]
  for size in sizes:
    rows = [r for r in results if r["size"] == size]
    peer = next((r for r in rows if r["impl"] == "peer" and
                 r["variant"] == "fp32" and "error" not in r), None)
    train_flops = flops.train_flops_per_step(measured_shape(size))
    batch = SIZES[size][-1]
    for r in rows:
      prefix = f"{DISPLAY[size]:<12} {_label(r['impl'], r['variant']):<22}"
      if "error" in r:
        lines.append(f"{prefix} failed: {r['error']}")
        continue
      sec = r["median_ms"] / 1e3
      ratio = f"{peer['median_ms'] / r['median_ms']:.2f}x" if peer else "-"
      lines.append(
          f"{prefix} {r['median_ms']:>9.1f} {r['min_ms']:>9.1f} "
          f"{r['cpu_ms']:>8.0f} "
          f"{batch / sec:>7.1f} {batch * SEQ / sec:>9.0f} {ratio:>8} "
          f"{train_flops / sec / 1e9:>8.1f} {r['first_step_s']:>8.1f} "
          f"{r['params']:>10,}")
  return lines


def format_paired(results):
  lines = [f"{'size':<12} {'ours':<6} {'peer ms':>9} {'ours ms':>9} "
           f"{'peer cpu':>9} {'ours cpu':>9} {'peer/ours':>10}"]
  for r in results:
    name = f"{DISPLAY[r['size']]:<12} {r.get('variant', 'fp32'):<6}"
    if "error" in r:
      lines.append(f"{name} failed: {r['error']}")
      continue
    lines.append(
        f"{name} {r['peer']['median_ms']:>9.1f} "
        f"{r['ours']['median_ms']:>9.1f} {r['peer']['cpu_ms']:>9.0f} "
        f"{r['ours']['cpu_ms']:>9.0f} {r['ratio']:>9.3f}x")
  lines.append("Steps alternate peer fp32 / ours (order flipped every step) "
               "in one process; ms = median wall, cpu = mean CPU per step; "
               "peer/ours = median of the per-step ratios (> 1: ours "
               "faster).")
  return lines


def format_profile(results):
  lines = [f"{'size':<12} {'row':<22} {'part':<42} {'ms':>9}"]
  for r in results:
    prefix = f"{DISPLAY[r['size']]:<12} {_label(r['impl'], r['variant']):<22}"
    if "error" in r:
      lines.append(f"{prefix} failed: {r['error']}")
      continue
    for name, ms in r["parts"].items():
      lines.append(f"{prefix} {name:<42} {ms:>9.1f}")
  return lines


def header_lines(args, sizes):
  lines = [
      f"Machine: {_cpu_model()}, {os.cpu_count()} CPUs, Python "
      f"{platform.python_version()}, tensorflow {_version('tensorflow')}, "
      f"tf-models-official {_version('tf-models-official')}, tf-keras "
      f"{_version('tf-keras')}",
      f"Common: seq {SEQ}, {PREDICTIONS} masked positions, K = {NEGATIVES} "
      f"negatives (peer candidate_size {NEGATIVES + 1}), vocab {VOCAB}, "
      f"dropout {DROPOUT}, RTD on layer L-1 + 1 task layer, AdamW "
      + ", ".join(f"{k} {v:g}" for k, v in OPTIMIZER.items()),
  ]
  for size in sizes:
    layers, hidden, emb, heads, ffn, gen, shared, batch = SIZES[size]
    warmup, steps = _steps_for(args, size)
    lines.append(
        f"  {DISPLAY[size]}: {layers} layers, hidden {hidden}, embedding "
        f"{emb}, {heads} heads, FFN {ffn}, generator {gen} layers sharing "
        f"{shared}, batch {batch}; {warmup} warm-up + {steps} timed steps "
        "(median)")
  return lines


def flops_lines(sizes):
  lines = ["", "FLOPs model (bench/flops.py; matmuls only, training = 3x "
           "forward, shared generator layers counted in both networks)"]
  for size in sizes:
    shape = measured_shape(size)
    lines.append(f"  measured CPU config {flops.shape_line(shape)}: "
                 f"{flops.train_flops_per_step(shape) / 1e9:.1f} GFLOP/step")
  lines.append("")
  lines += flops.paper_report()
  return lines


def main(argv=None):
  args = parse_args(argv)
  if args.row:
    if args.paired:
      return paired_main(args)
    return profile_main(args) if args.profile else row_main(args)
  sizes = ["tiny"] if args.quick else [s for s in args.sizes.split(",") if s]
  unknown = [s for s in sizes if s not in SIZES]
  if unknown:
    raise SystemExit(f"--sizes: unknown {unknown}; choose from {list(SIZES)}")
  started = time.perf_counter()
  load_before = _load()
  results = []
  if args.paired:
    jobs = [(size, variant) for size in sizes
            for variant in args.paired_variants.split(",")]
    for i, (size, variant) in enumerate(jobs, 1):
      warmup, steps = _steps_for(args, size)
      _log(f"[{i}/{len(jobs)}] paired {size} peer fp32 / ours {variant} "
           f"(load {_load()})")
      result, _ = run_subprocess(args, f"{size}:paired:{variant}", warmup,
                                 steps, mode="paired")
      result.update(size=size, variant=variant)
      results.append(result)
    print("\n".join(header_lines(args, sizes) + [""] +
                    format_paired(results) + [
                        f"Load average (1/5/15 min) before {load_before}, "
                        f"after {_load()}; total wall time "
                        f"{time.perf_counter() - started:.0f} s."]))
    return 0
  if args.profile:
    jobs = [(size, impl, variant) for size in sizes
            for variant in args.profile_variants.split(",")
            for impl in args.profile_impls.split(",")]
    for i, (size, impl, variant) in enumerate(jobs, 1):
      _log(f"[{i}/{len(jobs)}] profile {size} {_label(impl, variant)} "
           f"(load {_load()})")
      result, _ = run_subprocess(args, f"{size}:{impl}:{variant}", 0,
                                 _steps_for(args, size)[1], mode="profile")
      result.update(size=size, impl=impl, variant=variant)
      results.append(result)
    print("\n".join(header_lines(args, sizes) + [""] +
                    format_profile(results)))
    return 0
  if args.rows:
    rows = [tuple(r.split(":")) for r in args.rows.split(",") if r]
    bad = [r for r in rows if len(r) != 2 or r[0] not in ("peer", "ours")
           or r[1] not in VARIANTS]
    if bad:
      raise SystemExit(f"--rows: bad entries {bad}; use impl:variant with "
                       f"impl in peer,ours and variant in {VARIANTS}")
  else:
    rows = list(DEFAULT_ROWS)
  if args.peer_variants:
    rows += [r for r in PEER_EXTRA_ROWS if r not in rows]
  jobs = [(size, impl, variant) for size in sizes for impl, variant in rows]
  for i, (size, impl, variant) in enumerate(jobs, 1):
    warmup, steps = _steps_for(args, size)
    _log(f"[{i}/{len(jobs)}] {size} {_label(impl, variant)} (load "
         f"{_load()})")
    result, wall = run_subprocess(args, f"{size}:{impl}:{variant}", warmup,
                                  steps)
    result.update(size=size, impl=impl, variant=variant, wall_s=wall)
    status = result.get("error") or f"{result['median_ms']:.1f} ms/step"
    _log(f"    -> {status} (subprocess {wall:.0f} s)")
    results.append(result)
  total = time.perf_counter() - started
  lines = header_lines(args, sizes) + [""] + format_table(results, sizes)
  lines.append("ms/step: median wall time; cpu ms: mean CPU time (user+sys, "
               "all threads) per timed step; 'vs peer' = peer fp32 ms/step / "
               "row ms/step (> 1: faster than the peer); GFLOP/s from the "
               "FLOPs model below; first s: the first (tracing) step.")
  lines.append(f"Load average (1/5/15 min) before {load_before}, after "
               f"{_load()}; total wall time {total:.0f} s.")
  lines += flops_lines(sizes)
  print("\n".join(lines))
  if args.json_out:
    with open(args.json_out, "w") as f:
      json.dump({"results": results, "load_before": load_before,
                 "load_after": _load(), "wall_s": total}, f, indent=1)
  return 0


if __name__ == "__main__":
  sys.exit(main())
