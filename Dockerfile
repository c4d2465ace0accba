# mailca in a container: `docker compose up` runs it with Redis and PostgreSQL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` builds dist/ through the prepare script (needs the dev dependencies)
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production MAILCA_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# /data holds the database, sealed keys, spool and outbox: the mailca user's alone (a
# named volume starts with this owner and mode; mailca start also checks it)
RUN install -d -m 0700 -o node -g node /data
USER node
VOLUME /data
EXPOSE 2525 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/main.js"]
CMD ["start"]
