// A CommonJS TypeScript project (no `"type"`) under `module: node16`: its imports become
// require() calls, which TypeScript allows only into CommonJS declarations (else TS1479).
import express from 'express';
import { serve } from './check.js';

serve(express()).then((result) => console.log(JSON.stringify(result)));
