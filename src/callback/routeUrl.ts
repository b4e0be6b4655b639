export const routeUrl = (r: { schema: string; host: string; port: number }) => `${r.schema}://${r.host}:${r.port}`;
