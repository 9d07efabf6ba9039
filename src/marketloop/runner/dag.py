"""The order of a loop's steps: `needs` edges, a topological order, cycles found and named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(needs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle as a path (`a → b → a`), or None. Unknown needs are ignored here."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for need in needs.get(node, ()):
            if need not in needs:
                continue
            if state.get(need) == 1:
                return [*path[path.index(need) :], need]
            if state.get(need) is None and (found := visit(need)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in needs:
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def order(needs: Mapping[str, Sequence[str]]) -> list[str]:
    """Steps in an order where each comes after what it needs (file order among equals)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        if node in seen:
            return
        seen.add(node)
        for need in needs.get(node, ()):
            if need in needs:
                visit(need)
        done.append(node)

    for node in needs:
        visit(node)
    return done


def downstream(needs: Mapping[str, Sequence[str]], start: str) -> set[str]:
    """Every step that needs `start`, directly or through others."""
    found: set[str] = set()
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for node, wanted in needs.items():
            if current in wanted and node not in found:
                found.add(node)
                frontier.append(node)
    return found
