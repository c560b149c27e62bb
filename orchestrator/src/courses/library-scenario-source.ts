import { isCyropError } from '../errors.ts';
import type { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import type { CourseScenarioSource } from './course-service.ts';

/**
 * The scenarios a course may pin, from the scenario library: a version the company's staff may use
 * (the shipped catalogue, published versions, the company's own private ones) and that is not
 * archived. Asked as one of the company's instructors would be, whoever edits the course (an operator
 * editing a company's course cannot give it another company's private scenario).
 */
export function libraryScenarioSource(library: Pick<ScenarioLibrary, 'forLaunch'>): CourseScenarioSource {
  return {
    resolve(orgId, id, version) {
      try {
        const { file } = library.forLaunch(
          { kind: 'user', userId: 'system:courses', orgId, role: 'instructor', name: 'courses' },
          id,
          version,
        );
        return { file };
      } catch (error) {
        if (!isCyropError(error)) throw error;
        return {
          problem:
            error.code === 'NOT_FOUND'
              ? `no scenario ${id}@${version} that this training company may use`
              : error.message,
        };
      }
    },
  };
}
