// An ESM TypeScript project (`"type": "module"`, `module: nodenext`).
import express from 'express';
import { serve } from './check.js';

console.log(JSON.stringify(await serve(express())));
