// NestJS's default tsconfig: `module: commonjs`, hence the old `node` (node10) resolution,
// which ignores package.json `exports`: `resource-guard/webhooks` and `/redis` resolve
// through `typesVersions`.
import express = require('express');
import { serve } from './check';

serve(express()).then((result) => console.log(JSON.stringify(result)));
