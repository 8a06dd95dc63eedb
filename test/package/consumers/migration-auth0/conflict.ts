// Why resource-guard/no-augmentation exists: both packages declare `req.auth` on Express's
// global Request, each with its own type, and TypeScript refuses the second (TS2717).
import 'express-oauth2-jwt-bearer';
import 'resource-guard';
