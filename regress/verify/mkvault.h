/* mkvault: a test vault and its bundles, made with the real modules. */
#ifndef MKVAULT_H
#define MKVAULT_H

int	vaultdb_export(int, char **);

#endif
