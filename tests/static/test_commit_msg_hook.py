"""scripts/hooks/commit-msg, the hook scripts/install-deps.sh installs: run on message files as git
runs it, it accepts a subject of 72 characters and refuses 73, and wants a blank second line."""
import subprocess
import tempfile
import unittest
from pathlib import Path

HOOK = Path(__file__).resolve().parents[2] / "scripts" / "hooks" / "commit-msg"


def run_hook(message):
    with tempfile.NamedTemporaryFile("w", suffix=".msg", delete=False) as f:
        f.write(message)
    try:
        return subprocess.run([str(HOOK), f.name], capture_output=True, text=True, timeout=10)
    finally:
        Path(f.name).unlink()


class CommitMsgHookTest(unittest.TestCase):
    def test_a_subject_of_72_characters_with_a_body_passes(self):
        result = run_hook("x" * 72 + "\n\nWhy, and what was measured.\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_subject_of_73_characters_is_refused_with_its_length(self):
        result = run_hook("x" * 73 + "\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("the subject is 73 characters, at most 72", result.stderr)

    def test_characters_not_bytes_are_counted(self):
        result = run_hook("é" * 72 + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_comment_lines_git_strips_do_not_count(self):
        result = run_hook("# " + "y" * 100 + "\nShort subject\n\nBody.\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_body_without_the_blank_line_is_refused(self):
        result = run_hook("Short subject\nbody straight after\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("the line after the subject must be blank", result.stderr)


if __name__ == "__main__":
    unittest.main()
