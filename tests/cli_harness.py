"""Runs an absl CLI's `main` in-process, as a test would run the command."""


def run_main(main, flag_values, argv, capsys):
  """Parses `argv` into `flag_values`, calls `main([argv[0]])`.

  Returns:
    (exit code, stdout, stderr); the flags are reset afterwards.
  """
  flag_values(argv)
  code = 0
  try:
    main(argv[:1])
  except SystemExit as e:
    code = e.code
  finally:
    flag_values.unparse_flags()
  out = capsys.readouterr()
  return code, out.out, out.err
