#!/usr/bin/env node
// CDK entry point (cdk.json "app"). Everything is built in lib/app.ts.
import { buildApp } from '../lib/app';

buildApp().app.synth();
