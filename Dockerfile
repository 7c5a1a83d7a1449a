# syntax=docker/dockerfile:1
# The workforce server: built from source, run as a non-root user.
#
#   docker build -t workforce-server .
#   docker run -p 4000:4000 -e HOST=0.0.0.0 -e DATABASE_URL=postgres://… workforce-server
#
# Without DATABASE_URL the server keeps its embedded database in /app/.data (mount a
# volume there to keep it). compose.yaml runs PostgreSQL, Redis and two replicas.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# dist/db/client.js applies the migrations in ../../schema/migrations at start-up.
COPY schema/migrations ./schema/migrations
COPY package.json ./
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
