// A project type-checked with `moduleResolution: bundler` and bundled (with esbuild) into one
// CommonJS file, resource-guard, jose and express included.
import express from 'express';
import { serve } from './check';

serve(express()).then((result) => console.log(JSON.stringify(result)));
