"""Multi-task maths: jiant task sampling and loss scaling, Muppet loss
scaling, R3F regularisation.

  task_sampling.py  p_i = f(N_i) / sum_j f(N_j); an MG-compatible TaskSampler;
                    reproducible per-step task draws
  loss_scaling.py   jiant w_i = f(N_i) / max_j f(N_j); Muppet L / log(n)
  r3f.py            symmetric KL, embedding noise, L + lambda * KL_sym
"""
