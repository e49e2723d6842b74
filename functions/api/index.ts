// The API Lambda (API Gateway HTTP API, payload v2): the same Hono app `npm run up` serves.
import { handle } from 'hono/aws-lambda';
import { createApi } from '../../shared/api/app.ts';
import { wire } from '../wire.ts';

export const handler = handle(createApi(wire()));
