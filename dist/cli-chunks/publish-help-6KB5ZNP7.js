#!/usr/bin/env node
import { createRequire as __liveUpdateCreateRequire } from 'node:module';
const require = __liveUpdateCreateRequire(import.meta.url);
import {
  PUBLISH_HELP
} from "./chunk-DBFNHV2P.js";
import "./chunk-VEKAUZXL.js";
import "./chunk-JDJCEH7T.js";
import "./chunk-ITKJ3MZF.js";
export {
  PUBLISH_HELP
};
