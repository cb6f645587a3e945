#!/usr/bin/env node
"use strict";
require("../dist/grader/cli.js").main();
