"""The rulebook (profiles/*.yaml) and the scoring formulas.

:data:`DEFAULT_PROFILE` lives here, without imports, so that the CLI names it without loading pandas."""

DEFAULT_PROFILE = "mof2020"  # the national rules (财预〔2020〕10号) unless a district chooses another profile
