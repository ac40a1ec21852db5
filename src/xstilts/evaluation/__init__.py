"""Evaluation jobs: ``target`` scores a fine-tuned target model on every test language of its
task (rule evaluate_target); ``encoder`` scores an arm's encoder, untrained further, on the
retrieval targets BUCC and Tatoeba (rule evaluate_retrieval). Both predict through
:mod:`xstilts.training.inference` and score with the task's own decoding and metric."""
