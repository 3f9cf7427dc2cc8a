"""scripts/check_layers.py on the project's own src/ (it must pass) and on copies of it broken the two
ways it exists to catch (it must fail, naming the file and line). No build needed."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "check_layers.py"


def check(repo):
    return subprocess.run([sys.executable, str(CHECK), str(repo)], capture_output=True, text=True, timeout=60)


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mc-layers-")
        self.copy = Path(self.tmp)
        shutil.copytree(REPO / "src", self.copy / "src")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def append(self, relative, text):
        path = self.copy / relative
        path.write_text(path.read_text() + text)

    def test_the_source_tree_keeps_its_layers_and_its_clock_rule(self):
        result = check(REPO)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_an_include_of_a_module_the_library_does_not_link_is_named(self):
        # feed links common only: the store is out of its reach.
        self.append("src/feed/backoff.cpp", '\n#include "store/object_store.hpp"\n')
        result = check(self.copy)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stdout, r"src/feed/backoff\.cpp:\d+: includes store/ but mc_feed does not link")

    def test_a_link_declared_in_cmake_makes_the_same_include_legal(self):
        self.append("src/audit/CMakeLists.txt", "\ntarget_link_libraries(mc_audit PRIVATE mc_spool)\n")
        self.append("src/audit/audit.cpp", '\n#include "spool/rotating_writer.hpp"\n')
        result = check(self.copy)
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_reading_the_clock_directly_is_named_also_through_an_alias(self):
        self.append("src/spool/sealer.cpp", "\nstatic auto a = std::chrono::system_clock::now();\n")
        self.append("src/net/http_client.cpp", "\nusing Wall = std::chrono::steady_clock;\nstatic auto b = Wall::now();\n")
        result = check(self.copy)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stdout, r"src/spool/sealer\.cpp:\d+: reads the clock directly \(std::chrono::system_clock::now\(\)\)")
        self.assertRegex(result.stdout, r"src/net/http_client\.cpp:\d+: reads the clock directly \(Wall::now\(\)\)")

    def test_a_source_file_no_library_builds_is_named(self):
        (self.copy / "src" / "spool" / "orphan.cpp").write_text("int orphan() { return 0; }\n")
        result = check(self.copy)
        self.assertEqual(result.returncode, 1)
        self.assertIn("src/spool/orphan.cpp: no library in src/spool/CMakeLists.txt builds it", result.stdout)


if __name__ == "__main__":
    unittest.main()
