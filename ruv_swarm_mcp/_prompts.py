"""Prompts for common workflows."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer


def train_classifier(
    dataset_path: str, hidden: str = "16", target_error: str = "0.01", target: str = ""
) -> str:
    """Train, evaluate and use a classifier on a table (CSV, TSV, JSON Lines, Parquet, NumPy:
    give target, the column to predict, e.g. ~/data/churn.csv and churned) or a FANN .data
    file."""
    if target:
        train_step = (
            f"2. Call train with data={dataset_path!r}, target={target!r}, layers=[{hidden}], "
            f"desired_error={target_error}, validation_split=0.2 (stratified by class) and "
            "progress_every=10. Report the column kinds and the columns left out from the "
            "result's table section.\n"
        )
        use_step = (
            "4. Call predict with records: two or three objects by column name (as in the "
            "table, without the target) and explain the predicted class names and scores.\n"
        )
    else:
        train_step = (
            f"2. Call train with data={dataset_path!r}, layers=[{hidden}], algorithm 'rprop', "
            f"desired_error={target_error}, validation_split=0.2 and progress_every=10.\n"
        )
        use_step = "4. Call predict on two or three rows and explain the predicted labels.\n"
    return (
        f"Train a neural-network classifier on the dataset (a table or a FANN file) at {dataset_path}.\n"
        "The server reads files only inside its data roots: a directory the server was started "
        "with (--data-root DIR, or RUV_SWARM_DATA_ROOTS) or one of your client's roots. If a "
        "tool says the path must be inside an allowed data root, ask the user to add the "
        "file's directory that way; do not guess other paths.\n"
        "1. Call swarm_init (topology star) unless a swarm exists, then spawn_agent with type "
        "neural-processor.\n"
        f"{train_step}"
        "3. Call evaluate with the returned model_id on the same file and report accuracy, "
        "per-class precision and recall and the confusion matrix.\n"
        f"{use_step}"
        "Report only figures the tools returned."
    )


def research_swarm(question: str, researchers: str = "3") -> str:
    """Answer a question with a divergent-then-convergent research swarm."""
    return (
        f"Answer this question with a research swarm: {question}\n"
        "1. swarm_init with topology 'hierarchical' and strategy 'divergent'.\n"
        f"2. spawn_agent {researchers} times with type 'researcher' and once with type "
        "'coordinator'.\n"
        "3. If the knowledge base is empty, add relevant documents with knowledge_add.\n"
        "4. orchestrate the question with strategy 'divergent', then orchestrate again with "
        "strategy 'convergent' to merge the findings.\n"
        "5. Present the merged answer with the document titles it rests on."
    )


def register(server: MCPServer[Any]) -> None:
    server.prompt(title="Train a classifier")(train_classifier)
    server.prompt(title="Run a research swarm")(research_swarm)
