#!/usr/bin/env node
// The `nocker` executable: registers the TypeScript loader, then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
