# The hotline app (SIP control, media control, ACD, HTTP API) — one Node process. drachtio-server and FreeSWITCH
# run in their own containers (docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY ivr-flows ./ivr-flows
# Recordings and the PostgreSQL outage spool live on volumes (docker-compose.yml).
RUN mkdir -p /app/recordings /app/spool && chown -R node:node /app/recordings /app/spool
USER node
EXPOSE 8080 8085
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/cli.js", "serve"]
