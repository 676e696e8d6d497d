import { authenticate, csrfProtect } from "@/lib/auth/middleware.ts";

// Every route learns who is calling, and every cookie-authenticated change is CSRF-checked.
export default [authenticate(), csrfProtect()];
