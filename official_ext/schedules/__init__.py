"""Ways to combine pretraining losses over steps (olfmlm: sum, inc, alt,
alt+, cmtl, cmtl+), as checkpointable `tf.Module` schedules.

  registry.build_schedule(method, tasks, ...)   the builder to bind from gin
  combination.py   Schedule base; sum, inc, alt, alt+
  continual.py     cmtl, cmtl+
  cmtl_plan.py     CMTL stage arithmetic and draws in pure Python (no TF)
"""
