"""Jupyter's kernel conformance suite (Debian's python3-jupyter-kernel-test) against a kernelspec.

Run by tests/kernel/conformance.test.ts as
    /usr/bin/python3 -m unittest -v conformance
from this folder, with JUPYTER_PATH pointing at a temporary kernelspec and CONFORMANCE_KERNEL
naming it (the kit's kernel, or tslab for comparison).
"""
import os
import unittest

import jupyter_kernel_test


class TypeScriptKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("CONFORMANCE_KERNEL", "tsnb-typescript")
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'
    code_generate_error = 'throw new Error("an error")'
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2].map((x) => x * 10)", "result": "[ 10, 20 ]"},
    ]
    code_display_data = [
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab";\ntslab.display.png(new Uint8Array([1, 2, 3]))', "mime": "image/png"},
    ]
    complete_code_samples = ["1 + 2", "const a = 1;", "function f() {\n  return 1;\n}"]
    incomplete_code_samples = ["function f() {", "const a = [1,"]
    completion_samples = [{"text": "Math.fl", "matches": {"floor"}}]
    code_inspect_sample = "Math.floor"
    supported_history_operations = ("tail", "range")


if __name__ == "__main__":
    unittest.main()
