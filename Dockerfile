# One image for the api and the worker (docker-compose.yml runs it twice with different commands).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY web ./web
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
COPY bench ./bench
COPY test/fixtures ./test/fixtures
COPY test/fakes ./test/fakes
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# libmp3lame0: the LAME that encodes mp3 (without it, LAME in WebAssembly, at about 1.5× the CPU).
RUN apt-get update && apt-get install -y --no-install-recommends libmp3lame0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/test/fixtures ./test/fixtures
COPY config ./config
RUN mkdir -p /app/voices && chown node:node /app/voices
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
