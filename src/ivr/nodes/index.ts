import branch from './branch.js';
import callback from './callback.js';
import collect from './collect.js';
import goto from './goto.js';
import hangup from './hangup.js';
import menu from './menu.js';
import message from './message.js';
import play from './play.js';
import queue from './queue.js';
import returning from './returning.js';
import set from './set.js';
import survey from './survey.js';
import transfer from './transfer.js';
import type { NodeType } from './types.js';

/** The one registry of node types: the validator, the JSON Schema and the interpreter all read it. */
export const NODE_TYPES: ReadonlyMap<string, NodeType> = new Map(
  [play, menu, collect, branch, set, queue, returning, callback, message, transfer, survey, hangup, goto].map((t) => [t.type, t]),
);
