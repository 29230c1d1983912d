/*
 * cmd_models_deploy.h - the deployment commands of `mlflowc models`
 * (cmd_models_deploy.c), rows of cmd_models.c's command table: a Docker
 * build context, a Lambda zip and its runtime, Kubernetes manifests.
 * Each takes the command's arguments after its name and returns the
 * process exit code.
 */
#ifndef MLF_CMD_MODELS_DEPLOY_H
#define MLF_CMD_MODELS_DEPLOY_H

int models_generate_dockerfile(int argc, char **argv);
int models_build_docker(int argc, char **argv);
int models_build_lambda(int argc, char **argv);
int models_lambda_runtime(int argc, char **argv);
int models_generate_k8s(int argc, char **argv);

#endif
