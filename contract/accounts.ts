/** The shortest password the platform accepts (the console checks it before sending). */
export const MIN_PASSWORD_LENGTH = 10;
